"""Episode rules (docs/deepracer-semantics.md#episode-rules, docs/deepracer-semantics.md#obstacles-and-bot-cars):
prepare step, terminations and their priority, round robin, direction,
evaluation resets with penalty time, continuous laps, obstacles and bot cars."""
import math

import numpy as np
import pytest
from sim_helpers import follow_centre

from deepracer_sim.race.objects import (
    BotCarSettings,
    ObjectConfigError,
    ObstacleSettings,
    parse_positions,
    spread_positions,
)
from deepracer_sim.race.simulation import EpisodeSettings, RaceSimulation
from deepracer_sim.tracks import load_track

DT = 1.0 / 15.0


class Recorder:
    """A reward function that remembers what it was called with."""

    def __init__(self, value=1.0):
        self.calls = []
        self.value = value

    def __call__(self, params):
        self.calls.append(params)
        return self.value


def make(track="crescent_loop", reward=None, obstacles=ObstacleSettings(), bots=BotCarSettings(), seed=0,
         **settings):
    sim = RaceSimulation(load_track(track), EpisodeSettings(**settings), obstacles, bots, reward,
                         rng=np.random.default_rng(seed))
    sim.reset()
    return sim


def drive(sim, speed=1.0, steps=10_000, lookahead=0.35, offset=0.0, until=None):
    """Follow the centre line; returns the outcomes until the episode ends (or `until` says stop)."""
    outcomes = []
    for _ in range(steps):
        outcome = sim.step(follow_centre(sim.track, sim.car.pose, lookahead, offset), speed)
        outcomes.append(outcome)
        if outcome.terminated or outcome.truncated or (until and until(outcome)):
            break
    return outcomes


def test_the_first_step_is_a_prepare_step_with_a_zero_command():
    reward = Recorder()
    sim = make(reward=reward)
    start = sim.car.pose
    first = sim.step(30.0, 4.0, action_index=14)
    assert first.status == "prepare" and first.reward == 0.0 and reward.calls == []
    assert first.params["steps"] == 1.0
    assert first.params["steering_angle"] == 30.0 and first.params["speed"] == 4.0  # the action, as logged
    assert first.info["action_index"] == 14 and first.info["episode_status"] == "prepare"
    assert sim.car.pose == pytest.approx(start)  # held: the zero command did not move it
    second = sim.step(0.0, 1.0)
    assert second.status == "in_progress" and second.reward == 1.0
    assert len(reward.calls) == 1 and reward.calls[0]["steps"] == 2.0
    # The params describe the pose before this step's action moved the car (docs/deepracer-semantics.md#step-timing).
    assert second.params["x"] == pytest.approx(first.params["x"])
    third = sim.step(0.0, 1.0)
    assert third.params["x"] > second.params["x"]


def test_a_lap_at_one_metre_per_second_completes_with_progress_100():
    reward = Recorder()
    sim = make(reward=reward)
    outcomes = drive(sim, speed=1.0)
    last = outcomes[-1]
    assert last.status == "lap_complete" and last.terminated and not last.truncated
    assert last.params["progress"] == 100.0
    assert reward.calls[-1]["progress"] == 100.0  # the reward function sees the terminal step
    assert all(o.status == "in_progress" for o in outcomes[1:-1])
    assert all(o.params["all_wheels_on_track"] for o in outcomes)
    # 17.7 m at ~1 m/s; lap time counts sim time from the reset to the pose that completed the lap.
    assert 17.0 < last.info["lap_time"] < 20.0
    assert last.info["lap_time"] == pytest.approx((len(outcomes) - 1) * DT)
    progress = [o.params["progress"] for o in outcomes]
    assert progress[0] == pytest.approx(100 * 0.14 / 17.7, abs=0.01)
    assert all(b >= a - 1e-9 for a, b in zip(progress, progress[1:]))


def test_off_track_ends_a_training_episode_and_the_reward_sees_it():
    reward = Recorder()
    sim = make(reward=reward)
    outcomes = []
    while not (outcomes and outcomes[-1].terminated) and len(outcomes) < 40:
        outcomes.append(sim.step(-30.0, 2.0))
    last = outcomes[-1]
    assert last.status == "off_track" and last.params["is_offtrack"] and not last.params["all_wheels_on_track"]
    assert reward.calls[-1]["is_offtrack"] is True
    with pytest.raises(RuntimeError, match="call reset"):
        sim.step(0.0, 1.0)


def test_immobilized_after_fifteen_still_steps():
    sim = make()
    sim.car.drive = lambda *args: None  # wheels spin, the car does not move (stuck)
    outcomes = [sim.step(0.0, 1.0) for _ in range(16)]
    statuses = [o.status for o in outcomes]
    assert statuses[0] == "prepare"
    assert statuses[1:15] == ["in_progress"] * 14
    assert statuses[15] == "immobilized" and outcomes[15].terminated


def test_a_car_told_to_stop_is_not_immobilized():
    """Our rule (docs/deepracer-semantics.md#termination-rules): standing still because the drive command says
    stop (a servo's zero throttle) is not being stuck. With the simulation scenario's rules (evaluation with
    resets) the car would otherwise be reset again and again, hopping along the track."""
    sim = make(evaluation=True, number_of_resets=10_000, off_track_penalty=1.0, collision_penalty=1.0)
    start = sim.car.pose
    # Nobody drives: 4 s of zero throttle, while the params report the action's command.
    outcomes = [sim.step(5.0, 1.0, action_index=8, drive=(0.0, 0.0)) for _ in range(60)]
    assert [o.status for o in outcomes] == ["prepare"] + ["in_progress"] * 59
    assert outcomes[-1].info["reset_count"] == 0 and sim.car.pose == pytest.approx(start)
    assert outcomes[-1].params["speed"] == 1.0 and outcomes[-1].params["steering_angle"] == 5.0
    assert outcomes[-1].info["action_index"] == 8
    # Driving by hand, then stopping: the car brakes to rest and stands there, still not immobilized.
    for _ in range(20):
        sim.step(0.0, 1.0, drive=(follow_centre(sim.track, sim.car.pose), 0.8))
    moved_to = sim.car.pose
    assert math.dist(moved_to[:2], start[:2]) > 0.5
    stopping = [sim.step(0.0, 1.0, drive=(0.0, 0.0)) for _ in range(60)]
    assert {o.status for o in stopping} == {"in_progress"} and stopping[-1].info["reset_count"] == 0
    assert sim.car.speed == pytest.approx(0.0, abs=1e-9)
    assert math.dist(sim.car.pose[:2], moved_to[:2]) < 0.3  # braked to rest within a short distance


def test_a_stop_command_steers_while_the_car_stands():
    sim = make()
    sim.step(0.0, 1.0)  # prepare
    for _ in range(10):
        sim.step(0.0, 1.0, drive=(20.0, 0.0))
    assert math.degrees(sim.car.state[6]) == pytest.approx(20.0)
    assert sim.car.speed == 0.0


def test_a_stuck_car_whose_drive_command_asks_to_move_is_immobilized():
    sim = make()
    sim.car.drive = lambda *args: None  # wheels spin, the car does not move (stuck)
    outcomes = [sim.step(0.0, 1.0, drive=(0.0, 0.5)) for _ in range(16)]
    assert [o.status for o in outcomes] == ["prepare"] + ["in_progress"] * 14 + ["immobilized"]
    assert outcomes[15].terminated


def test_a_stop_command_restarts_the_immobilized_count():
    sim = make()
    sim.car.drive = lambda *args: None  # stuck whenever it is asked to move
    drives = [(0.0, 0.5)] * 10 + [(0.0, 0.0)] + [(0.0, 0.5)] * 16
    statuses = [sim.step(0.0, 1.0, drive=drive).status for drive in drives]
    # Steps 1-10 count 1..10; the stop's step is judged on the step after it, which starts over at 0;
    # then 15 more stuck steps are needed.
    assert statuses[:26] == ["prepare"] + ["in_progress"] * 25
    assert statuses[26] == "immobilized"


def test_reversed_after_fifteen_steps_of_falling_progress():
    sim = make(start_ndist=0.1)
    x, y, yaw = sim.car.pose
    sim.car.place(x, y, yaw + math.pi)  # facing the wrong way on the start straight
    outcomes = [sim.step(0.0, 0.5) for _ in range(17)]
    statuses = [o.status for o in outcomes]
    assert statuses[:2] == ["prepare", "in_progress"]
    # Step 2 sees the unmoved pose; progress falls from step 3 on, the 15th fall is step 17.
    assert statuses[2:16] == ["in_progress"] * 14
    assert statuses[16] == "reversed" and outcomes[16].terminated


def test_status_priority_crashed_over_off_track_and_lap_complete_over_both():
    sim = make(obstacles=ObstacleSettings(count=1, positions=((0.1, -1),)))
    track = sim.track
    arc = 0.1 * track.length
    heading = track.heading_at(arc)
    right = np.array([math.sin(heading), -math.cos(heading)])  # the outer side of a CCW loop
    x, y = track.point_at(arc) + 0.47 * right  # wheels beyond the border, a corner inside the box's footprint
    sim.step(0.0, 1.0)  # prepare
    sim.car.place(x, y, heading)
    outcome = sim.step(0.0, 1.0)
    assert outcome.params["is_offtrack"] and outcome.params["is_crashed"]
    assert outcome.status == "crashed"

    sim = make()
    sim.step(0.0, 1.0)
    heading = track.heading_at(0.0)
    right = np.array([math.sin(heading), -math.cos(heading)])
    x, y = track.point_at(0.05) + 0.8 * right  # just past the finish line, off the track
    sim.car.place(x, y, heading)
    sim.prev_progress = 99.9
    outcome = sim.step(0.0, 1.0)
    assert outcome.params["is_offtrack"]
    assert outcome.status == "lap_complete" and outcome.params["progress"] == 100.0


def test_round_robin_advances_the_start_after_each_training_episode():
    sim = make(round_robin_advance=0.05)
    starts = []
    for _ in range(3):
        starts.append(sim.start_ndist)
        x, y, yaw = sim.car.pose
        arc = sim.start_ndist * sim.track.length
        np.testing.assert_allclose((x, y), sim.track.point_at(arc), atol=1e-9)
        assert yaw == pytest.approx(sim.track.heading_at(arc))
        while not sim.step(-30.0, 3.0).terminated:
            pass
        sim.reset()
    assert starts == pytest.approx([0.0, 0.05, 0.10])
    # A reset with no step taken does not advance.
    sim.reset()
    sim.reset()
    assert sim.start_ndist == pytest.approx(0.15)
    evaluation = make(evaluation=True)
    evaluation.step(0.0, 1.0)
    evaluation.reset()
    assert evaluation.start_ndist == 0.0


def test_reverse_and_alternate_direction():
    backwards = make(reverse=True)
    assert backwards.track.is_reversed
    forward = make()
    assert backwards.car.pose[2] == pytest.approx(math.atan2(*reversed(
        np.subtract(backwards.track.centre[1], backwards.track.centre[0]))))
    assert abs(abs(backwards.car.pose[2] - forward.car.pose[2]) - math.pi) < 0.2
    outcomes = drive(backwards, speed=1.0, steps=60)
    assert outcomes[-1].params["is_reversed"] is True and outcomes[-1].params["progress"] > 3.0
    alternating = make(alternate_direction=True)
    seen = []
    for _ in range(3):
        seen.append(alternating.track.is_reversed)
        alternating.step(0.0, 1.0)
        alternating.reset()
    assert seen == [False, True, False]


def test_evaluation_reset_pauses_for_the_penalty_and_the_lap_time_includes_it():
    reward = Recorder()
    sim = make(reward=reward, evaluation=True, number_of_resets=3, off_track_penalty=1.0)
    # Leave the track on purpose once, then drive the lap.
    outcomes = drive(sim, speed=1.0, steps=40, until=lambda o: o.status == "off_track")
    for _ in range(10):
        if outcomes[-1].status == "off_track":
            break
        outcomes.append(sim.step(-30.0, 2.0))
    failing = outcomes[-1]
    assert failing.status == "off_track" and not failing.terminated
    assert failing.info["reset_count"] == 1 and failing.info["pause_duration"] == pytest.approx(1.0)
    calls_before = len(reward.calls)
    assert reward.calls[-1]["is_offtrack"] is True
    held = sim.car.pose
    # Back on a lane near where it left, at rest.
    arc, distance = sim.track.project(held[0], held[1])
    assert distance == pytest.approx(sim.track.width / 4, abs=0.01)
    pauses = []
    while True:
        outcome = sim.step(10.0, 2.0)
        if outcome.status != "pause":
            break
        pauses.append(outcome)
        assert outcome.reward == 0.0 and sim.car.pose == pytest.approx(held)
    assert len(pauses) == 15  # 1 s at 15 steps/s
    assert len(reward.calls) == calls_before + 1  # pause steps do not call the reward function
    rest = drive(sim, speed=1.0)
    last = rest[-1]
    assert last.status == "lap_complete" and last.terminated
    total_steps = len(outcomes) + len(pauses) + 1 + len(rest)
    assert last.info["lap_time"] == pytest.approx((total_steps - 1) * DT)
    assert last.info["reset_count"] == 1


def test_continuous_laps_run_in_one_episode():
    sim = make(evaluation=True, continuous_laps=2)
    outcomes = drive(sim, speed=1.0)
    laps = [o for o in outcomes if o.status == "lap_complete"]
    assert len(laps) == 2
    assert not laps[0].terminated and laps[1].terminated
    assert laps[0].info["lap_count"] == 1 and laps[1].info["lap_count"] == 2
    assert laps[1].info["trace_episode"] == 2
    lap_times = sim.lap_times
    assert len(lap_times) == 2 and all(17.0 < t < 20.0 for t in lap_times)
    assert laps[1].info["lap_time"] == pytest.approx(lap_times[1])


def test_max_steps_truncates():
    sim = make(max_steps=5)
    outcomes = [sim.step(0.0, 0.5) for _ in range(5)]
    assert [o.truncated for o in outcomes] == [False] * 4 + [True]
    assert not any(o.terminated for o in outcomes)


def test_obstacles_are_spread_evenly_or_placed_where_asked():
    track = load_track("crescent_loop")
    arcs, lanes = spread_positions(track.length, 3, 2.0, False, np.random.default_rng(0))
    np.testing.assert_allclose(arcs, np.linspace(2.0, track.length - 1.0, 3))
    assert lanes.tolist() == [1, -1, 1]
    random_arcs, _ = spread_positions(track.length, 3, 2.0, True, np.random.default_rng(5))
    again, _ = spread_positions(track.length, 3, 2.0, True, np.random.default_rng(5))
    np.testing.assert_array_equal(random_arcs, again)
    assert not np.allclose(random_arcs, arcs)
    assert np.all(np.diff(np.sort(random_arcs)) >= 2.0 - 1e-9)
    assert parse_positions(["0.25,1", "0.75,-1"]) == ((0.25, 1), (0.75, -1))
    with pytest.raises(ObjectConfigError, match="lane must be 1 \\(inner\\) or -1 \\(outer\\)"):
        parse_positions(["0.25,2"])
    with pytest.raises(ObjectConfigError, match="must be \"ndist,lane\""):
        parse_positions(["0.25"])
    sim = make(obstacles=ObstacleSettings(count=2, positions=((0.25, 1), (0.75, -1))))
    (x0, y0, _), (x1, y1, _) = sim.objects.array[0, :3], sim.objects.array[1, :3]
    arc0, d0 = sim.track.project(x0, y0)
    arc1, d1 = sim.track.project(x1, y1)
    assert arc0 == pytest.approx(0.25 * sim.track.length, abs=0.05)
    assert d0 == pytest.approx(sim.track.width / 4, abs=0.01) and d1 == pytest.approx(sim.track.width / 4, abs=0.01)
    assert sim.track.in_inner_half([[x0, y0]])[0] and not sim.track.in_inner_half([[x1, y1]])[0]


def test_driving_into_a_box_crashes_and_ends_training():
    reward = Recorder()
    sim = make(reward=reward, obstacles=ObstacleSettings(count=1, positions=((0.15, 1),)))
    outcomes = drive(sim, speed=1.0, steps=200)
    last = outcomes[-1]
    assert last.status == "crashed" and last.terminated and last.params["is_crashed"]
    assert reward.calls[-1]["is_crashed"] is True
    arc, _ = sim.track.project(last.params["x"], last.params["y"])
    assert arc == pytest.approx(0.15 * sim.track.length - 0.25, abs=0.25)  # at the box's near end
    assert last.info["obstacle_crash_counter"] == 1


def test_evaluation_crash_resets_behind_the_box_in_the_other_lane():
    sim = make(evaluation=True, number_of_resets=2, collision_penalty=0.5,
               obstacles=ObstacleSettings(count=1, positions=((0.3, 1),)))
    outcomes = drive(sim, speed=1.0, steps=400, until=lambda o: o.status == "crashed")
    assert outcomes[-1].status == "crashed" and not outcomes[-1].terminated
    x, y, _ = sim.car.pose
    arc, distance = sim.track.project(x, y)
    assert arc == pytest.approx(0.3 * sim.track.length - 1.0, abs=0.05)
    assert not sim.track.in_inner_half([[x, y]])[0]  # outer lane, away from the inner-lane box
    assert distance == pytest.approx(sim.track.width / 4, abs=0.01)
    statuses = [sim.step(0.0, 1.0).status for _ in range(9)]
    assert statuses[:8] == ["pause"] * 8 and statuses[8] == "in_progress"


def test_an_object_near_the_start_moves_the_car_to_the_other_lane():
    sim = make(obstacles=ObstacleSettings(count=1, positions=((0.03, 1),)))  # 0.53 m ahead, inner lane
    x, y, yaw = sim.car.pose
    _, distance = sim.track.project(x, y)
    assert distance == pytest.approx(sim.track.width / 4, abs=0.01)
    assert not sim.track.in_inner_half([[x, y]])[0]
    far = make(obstacles=ObstacleSettings(count=1, positions=((0.3, 1),)))
    assert far.track.project(*far.car.pose[:2])[1] == pytest.approx(0.0, abs=1e-9)


def _lane_arc(sim, index):
    lanes = sim.objects._lanes
    bot = sim.objects.bots[index]
    return np.interp(bot.u, lanes.u, lanes.arc[bot.lane])


def test_bot_cars_drive_their_lane_at_the_set_speed_and_change_lanes():
    bots = BotCarSettings(count=2, speed=0.5)
    sim = make(bots=bots)
    assert [bot.lane for bot in sim.objects.bots] == [1, -1]
    before = [_lane_arc(sim, i) for i in range(2)]
    start_xy = sim.objects.array[:, :2].copy()
    for _ in range(30):
        sim.step(0.0, 0.1)
        if sim.done:
            sim.reset()
            break
    after = [_lane_arc(sim, i) for i in range(2)]
    for a, b in zip(before, after):
        assert b - a == pytest.approx(0.5 * 30 * DT, rel=1e-3)
    assert not np.allclose(start_xy, sim.objects.array[:, :2])
    snapshot = sim.objects.snapshot()
    heading = snapshot.heading[0]
    x, y = snapshot.xy[0]
    lane_heading = sim.track.lane_point(sim.track.project(x, y)[0], 1)[2]
    assert math.cos(heading - lane_heading) > 0.99
    changing = make(bots=BotCarSettings(count=1, speed=1.0, lane_change=True, lower_lane_change_time=0.5,
                                        upper_lane_change_time=0.5, lane_change_distance=0.5))
    sides = []
    for _ in range(45):
        changing.objects.advance(DT)
        x, y = changing.objects.array[0, :2]
        sides.append(bool(changing.track.in_inner_half([[x, y]])[0]))
    assert sides[0] is True and False in sides  # it crossed to the outer lane


def test_bot_car_collisions_depend_on_who_hits_whom():
    # The agent, slow in the inner lane, is rear-ended by a faster bot: the bot stops, the agent goes on.
    sim = make(bots=BotCarSettings(count=1, speed=1.0, min_distance=2.0), start_ndist=0.0)
    bot = sim.objects.bots[0]
    track = sim.track
    bot_arc = track.project(*sim.objects.array[0, :2])[0]
    agent_arc = bot_arc + 0.6
    sim.step(0.0, 0.1)
    sim.car.place(*track.lane_point(agent_arc, 1))
    statuses, crashed = [], []
    for _ in range(30):
        outcome = sim.step(0.0, 0.1)
        statuses.append(outcome.status)
        crashed.append(outcome.params["is_crashed"])
        if bot.pause_remaining > 0:
            break
    assert bot.pause_remaining > 0 and not any(crashed) and "crashed" not in statuses
    paused_at = sim.objects.array[0, :2].copy()
    sim.step(0.0, 0.1)
    np.testing.assert_allclose(sim.objects.array[0, :2], paused_at)
    # The agent drives into a slow bot from behind: crashed.
    sim = make(bots=BotCarSettings(count=1, speed=0.1), start_ndist=0.0)
    bot_arc = sim.track.project(*sim.objects.array[0, :2])[0]
    sim.step(0.0, 1.0)
    sim.car.place(*sim.track.lane_point(bot_arc - 1.0, 1))
    outcomes = [sim.step(0.0, 1.0)]
    while not outcomes[-1].terminated and len(outcomes) < 30:
        outcomes.append(sim.step(0.0, 1.0))
    assert outcomes[-1].status == "crashed" and outcomes[-1].params["is_crashed"] is True


def test_object_params_flow_into_the_step():
    sim = make(obstacles=ObstacleSettings(count=2, positions=((0.2, 1), (0.6, -1))))
    outcome = sim.step(0.0, 1.0)
    params = outcome.params
    assert len(params["objects_location"]) == 2
    assert params["objects_left_of_center"] == [True, False]
    assert params["closest_objects"] == [1, 0]
    assert params["objects_distance"][0] == pytest.approx(0.2 * sim.track.length, abs=0.05)
