"""gazebo_bridge_node's core gives the embedded simulator's params and episode rules for the same poses."""
from __future__ import annotations

import math

import numpy as np
import pytest

from deepracer_sim.car import parameters as car
from deepracer_sim.gazebo.bridge_core import (
    ActuatorCommand,
    GazeboEpisode,
    actuator_command,
    observation_frame,
    quaternion_from_yaw,
    rgb_frame_from_buffer,
    yaw_from_quaternion,
)
from deepracer_sim.race.params import reward_params
from deepracer_sim.race.simulation import EpisodeSettings, RaceSimulation
from deepracer_sim.stepping.report import status_fields
from deepracer_sim.tracks import list_tracks, load_track

DT = 1.0 / 15.0


def _pursuit(track, pose, wobble: float, step: int) -> tuple[float, float]:
    """A plain centre-line follower with a deliberate weave, so the run covers varied poses."""
    x, y, yaw = pose
    arc, _ = track.project(x, y)
    target = track.point_at(arc + 0.6)
    bearing = math.atan2(target[1] - y, target[0] - x) - yaw
    bearing = (bearing + math.pi) % (2 * math.pi) - math.pi
    steering = math.degrees(bearing) * 1.5 + wobble * math.sin(step / 4.0)
    return max(-30.0, min(30.0, steering)), 1.2


def _embedded_run(track, settings, steps, wobble=0.0, episodes=1, action=None):
    """Run the embedded simulator; record per step the pose before it, the action, the time, the outcome."""
    sim = RaceSimulation(track, settings, reward_function=lambda params: 0.0)
    runs = []
    for _ in range(episodes):
        sim.reset()
        start = sim.car.pose
        records = []
        for k in range(steps):
            pose, time_before = sim.car.pose, sim.sim_time
            command = action(k) if action else _pursuit(sim.track, pose, wobble, k)
            outcome = sim.step(*command)
            records.append((pose, command, time_before, outcome))
            if sim.done:
                break
        runs.append((start, records, sim.car.pose, sim.sim_time))
    return runs


def _replay(episode: GazeboEpisode, start, records, final_pose, final_time, start_time):
    """Feed the same poses to the Gazebo core as camera frames; returns its outcomes."""
    target = episode.reset(start_time)
    assert target == pytest.approx(start, abs=1e-12)
    first = episode.on_frame(start, start_time)
    assert first.outcome is None and first.reset_info is not None
    outcomes = []
    frames = [r[0] for r in records[1:]] + [final_pose]
    times = [r[2] for r in records[1:]] + [final_time]
    for (pose, command, _, _), next_pose, next_time in zip(records, frames, times):
        result = episode.on_frame(next_pose, next_time, (*command, -1))
        outcomes.append(result.outcome)
    return outcomes


@pytest.mark.parametrize("track_name", list_tracks())
def test_same_poses_give_identical_params_and_statuses(track_name):
    track = load_track(track_name)
    settings = EpisodeSettings()
    (run,) = _embedded_run(track, settings, steps=120, wobble=12.0)
    start, records, final_pose, final_time = run
    gazebo = GazeboEpisode(track, settings)
    outcomes = _replay(gazebo, start, records, final_pose, final_time, records[0][2])
    assert len(outcomes) == len(records) > 10
    for k, (mine, (_, _, _, theirs)) in enumerate(zip(outcomes, records)):
        assert mine is not None, f"step {k} produced no outcome"
        assert mine.params == theirs.params, f"params differ at step {k}"
        assert mine.status == theirs.status
        assert (mine.terminated, mine.truncated) == (theirs.terminated, theirs.truncated)
        assert status_fields(mine.info, mine.terminated or mine.truncated) == \
            status_fields(theirs.info, theirs.terminated or theirs.truncated)
    assert outcomes[0].status == "prepare"
    assert {o.status for o in outcomes[1:-1]} == {"in_progress"}


def test_off_track_ends_training_episode_like_the_embedded_simulator():
    track = load_track(list_tracks()[0])
    settings = EpisodeSettings()
    # Hard left at speed: the car leaves the road and the episode ends off_track.
    (run,) = _embedded_run(track, settings, steps=300, action=lambda k: (30.0, 2.5))
    start, records, final_pose, final_time = run
    assert records[-1][3].status == "off_track"
    outcomes = _replay(GazeboEpisode(track, settings), start, records, final_pose, final_time, records[0][2])
    assert [o.status for o in outcomes] == [r[3].status for r in records]
    assert outcomes[-1].params["is_offtrack"] and outcomes[-1].terminated
    assert outcomes[-1].params == records[-1][3].params


def test_round_robin_start_advances_as_in_the_embedded_simulator():
    track = load_track(list_tracks()[0])
    settings = EpisodeSettings()
    runs = _embedded_run(track, settings, steps=40, action=lambda k: (30.0, 2.5), episodes=3)
    gazebo = GazeboEpisode(track, settings)
    for start, records, final_pose, final_time in runs:
        outcomes = _replay(gazebo, start, records, final_pose, final_time, records[0][2])
        assert [o.params for o in outcomes] == [r[3].params for r in records]
    # Starts 5 % of the track apart along the centre line.
    arcs = [track.project(*run[0][:2])[0] for run in runs]
    assert (arcs[1] - arcs[0]) % track.length == pytest.approx(0.05 * track.length, abs=1e-6)


def test_evaluation_reset_teleports_and_waits_for_gazebo():
    """With resets allowed, leaving the track teleports the car to a lane and pauses it; frames
    that still show the old pose are not steps."""
    track = load_track(list_tracks()[0])
    settings = EpisodeSettings(evaluation=True, number_of_resets=2, off_track_penalty=0.4)
    (run,) = _embedded_run(track, settings, steps=200, action=lambda k: (30.0, 2.5))
    start, records, final_pose, final_time = run
    statuses = [r[3].status for r in records]
    assert "off_track" in statuses and "pause" in statuses
    gazebo = GazeboEpisode(track, settings)
    gazebo.reset(records[0][2])
    gazebo.on_frame(start, records[0][2])
    frames = [r[0] for r in records[1:]] + [final_pose]
    times = [r[2] for r in records[1:]] + [final_time]
    seen = []
    for (pose, command, _, theirs), next_pose, next_time in zip(records, frames, times):
        teleport = gazebo.pending_teleport()
        if teleport is not None:
            # Gazebo has not moved the car yet: this frame is no step, and the car is held.
            stale = gazebo.on_frame((teleport[0] + 0.5, teleport[1], teleport[2]), next_time, (*command, -1))
            assert stale.outcome is None and stale.command == ActuatorCommand.stop()
            assert gazebo.on_servo(*command) == ActuatorCommand.stop()
        result = gazebo.on_frame(next_pose, next_time, (*command, -1))
        seen.append(result.outcome)
        assert result.outcome.params == theirs.params
        if theirs.status == "off_track" and not theirs.terminated:
            # The step asked Gazebo to move the car to the lane point the embedded car was placed on.
            assert gazebo.pending_teleport() == pytest.approx(next_pose, abs=1e-9)
    assert [o.status for o in seen] == statuses


def test_prepare_and_teleport_hold_the_car():
    track = load_track(list_tracks()[0])
    gazebo = GazeboEpisode(track)
    start = gazebo.reset(0.0)
    # Before Gazebo shows the car at the start, nothing moves.
    assert gazebo.on_servo(10.0, 2.0) == ActuatorCommand.stop()
    assert gazebo.on_frame((start[0] + 1.0, start[1], start[2]), 0.0).reset_info is None
    assert gazebo.on_frame(start, 0.05).reset_info["episode"] == 0
    # Prepare step: the servo is ignored until it has passed.
    assert gazebo.on_servo(10.0, 2.0) == ActuatorCommand.stop()
    result = gazebo.on_frame(start, 0.05 + DT, (10.0, 2.0, 3))
    assert result.outcome.status == "prepare"
    assert result.outcome.params["speed"] == 2.0 and result.outcome.params["steering_angle"] == 10.0
    assert result.outcome.info["action_index"] == 3
    # Running: the servo's command goes through, clipped and converted as simapp does ...
    assert result.command == actuator_command(10.0, 2.0)
    assert gazebo.on_servo(-40.0, 5.0) == actuator_command(-30.0, 4.0)
    # ... and throttle 0 (speed 0) stops the wheels but still steers, like sim_node's servo car.
    assert gazebo.on_servo(12.0, 0.0) == ActuatorCommand(math.radians(12.0), 0.0)


def test_lap_time_starts_when_gazebo_shows_the_car_at_the_start():
    track = load_track(list_tracks()[0])
    gazebo = GazeboEpisode(track)
    start = gazebo.reset(3.0)                      # the car is sent to the start at t = 3 s ...
    gazebo.on_frame((start[0] + 2.0, start[1], start[2]), 3.5)
    assert gazebo.on_frame(start, 4.0).reset_info["sim_time"] == 4.0   # ... and arrives at 4 s
    gazebo.on_frame(start, 4.0 + DT, (0.0, 1.0, -1))
    result = gazebo.on_frame(start, 4.0 + 2 * DT, (0.0, 1.0, -1))
    assert result.outcome.info["lap_time"] == pytest.approx(DT)
    assert result.outcome.params["sim_time"] == pytest.approx(4.0 + DT)


def test_first_run_step_params_match_the_standalone_params():
    """The core's params for a pose are deepracer_sim.race.params.reward_params's for that pose."""
    track = load_track(list_tracks()[1])
    gazebo = GazeboEpisode(track)
    start = gazebo.reset(0.0)
    gazebo.on_frame(start, 0.0)
    gazebo.on_frame(start, DT, (0.0, 1.0, -1))                   # prepare step
    pose = (start[0] + 0.1 * math.cos(start[2]), start[1] + 0.1 * math.sin(start[2]), start[2] + 0.05)
    gazebo.on_frame(pose, 2 * DT, (-7.5, 1.5, -1))               # the step at `start`
    result = gazebo.on_frame(pose, 3 * DT, (-7.5, 1.5, -1))      # the step at `pose`
    expected = reward_params(track, pose[0], pose[1], math.degrees(pose[2]), steering_angle=-7.5, speed=1.5,
                             steps=3.0, prev_progress=gazebo.sim.prev_progress_for_step, sim_time=2 * DT)
    mine = result.outcome.params
    for key in ("x", "y", "heading", "distance_from_center", "is_left_of_center", "progress", "track_width",
                "closest_waypoints", "all_wheels_on_track", "steering_angle", "speed", "steps", "sim_time"):
        assert mine[key] == pytest.approx(expected[key], abs=1e-12), key
    # x, y are base_link + 0.14 m forward (docs/deepracer-semantics.md#reference-point).
    assert mine["x"] == pytest.approx(pose[0] + car.FRONT_POINT_OFFSET * math.cos(pose[2]))


def test_actuator_command_is_simapps_clip_and_wheel_rate():
    command = actuator_command(45.0, 6.0)
    assert command.steering_rad == pytest.approx(math.radians(30.0))
    assert command.wheel_velocity == pytest.approx(4.0 / 0.035)
    assert actuator_command(-12.0, 0.0) == ActuatorCommand(math.radians(-12.0), pytest.approx(0.1 / 0.035))
    with pytest.raises(ValueError, match="finite"):
        GazeboEpisode(load_track(list_tracks()[0])).on_servo(float("nan"), 1.0)


@pytest.mark.parametrize("yaw", [0.0, 1.0, -2.5, math.pi - 1e-9, -math.pi / 2])
def test_yaw_round_trip(yaw):
    assert yaw_from_quaternion(*quaternion_from_yaw(yaw)) == pytest.approx(yaw, abs=1e-12)


def test_yaw_ignores_small_roll_and_pitch():
    # A car settling on its wheels rolls and pitches slightly; yaw must stay that of the body.
    cr, sr, cp, sp = math.cos(0.01), math.sin(0.01), math.cos(0.02), math.sin(0.02)
    cy, sy = math.cos(0.6), math.sin(0.6)
    q = (sr * cp * cy - cr * sp * sy, cr * sp * cy + sr * cp * sy, cr * cp * sy - sr * sp * cy, cr * cp * cy + sr * sp * sy)
    assert yaw_from_quaternion(*q) == pytest.approx(1.2, abs=1e-9)


def test_observation_frame_resizes_and_greys_like_simapp():
    # A horizontal ramp in red and a vertical one in green: bilinear resizing samples a linear
    # ramp at the output pixel centres, so the expected values are known in closed form.
    cols = np.arange(640, dtype=np.float64)
    rows = np.arange(480, dtype=np.float64)
    red = np.broadcast_to(cols / 3.0, (480, 640))
    green = np.broadcast_to(rows[:, None] / 2.0, (480, 640))
    rgb = np.stack([red, green, np.full((480, 640), 77.0)], axis=2).round().astype(np.uint8)
    grey = observation_frame(rgb)
    assert grey.shape == (120, 160) and grey.dtype == np.uint8
    centre_x = 4 * np.arange(160) + 1.5
    centre_y = 4 * np.arange(120) + 1.5
    expected = 0.2989 * (centre_x[None, :] / 3.0) + 0.5870 * (centre_y[:, None] / 2.0) + 0.1140 * 77.0
    # Inner pixels (the border rows/columns see the image edge); the ramps were rounded to uint8.
    assert np.abs(grey[1:-1, 1:-1].astype(float) - expected[1:-1, 1:-1]).max() <= 1.0


def test_rgb_buffer_decoding_and_errors():
    frame = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)
    padded = np.concatenate([frame.reshape(4, 18), np.zeros((4, 2), np.uint8)], axis=1).tobytes()
    np.testing.assert_array_equal(rgb_frame_from_buffer(padded, 6, 4, 20, "rgb8"), frame)
    np.testing.assert_array_equal(rgb_frame_from_buffer(padded, 6, 4, 20, "bgr8"), frame[:, :, ::-1])
    with pytest.raises(ValueError, match="encoding 'mono8'"):
        rgb_frame_from_buffer(padded, 6, 4, 20, "mono8")
    with pytest.raises(ValueError, match="too few"):
        rgb_frame_from_buffer(padded[:-5], 6, 4, 20, "rgb8")


def test_a_car_held_by_a_stop_servo_is_not_immobilized_but_a_stuck_one_is():
    """The embedded simulator's rule on Gazebo poses: the wheels follow the servo, and a car standing still
    because the servo says stop is not immobilized (docs/deepracer-semantics.md#termination-rules)."""
    track = load_track(list_tracks()[0])
    gazebo = GazeboEpisode(track)
    start = gazebo.reset(0.0)
    gazebo.on_frame(start, 0.0)
    # Nobody drives (the servo starts at rest): Gazebo shows the car where it stands, frame after frame.
    frames = [gazebo.on_frame(start, k * DT, (0.0, 1.0, 7)) for k in range(1, 41)]
    assert [f.outcome.status for f in frames] == ["prepare"] + ["in_progress"] * 39
    assert all(f.command == ActuatorCommand.stop() for f in frames)
    # The servo asks to move, but Gazebo keeps showing the car in place (stuck): immobilized 15 steps later.
    assert gazebo.on_servo(0.0, 1.0) == actuator_command(0.0, 1.0)
    stuck = [gazebo.on_frame(start, k * DT, (0.0, 1.0, 7)).outcome for k in range(41, 57)]
    assert [o.status for o in stuck] == ["in_progress"] * 15 + ["immobilized"]
    assert stuck[-1].terminated
