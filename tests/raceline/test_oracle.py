"""The oracle: pure pursuit on the racing line in RaceSimulation, under the episode rules."""
import math

import numpy as np
import pytest

from deepracer_sim.car.dynamics import STATE_SIZE
from deepracer_sim.raceline import PurePursuit, compute_racing_line, drive_oracle_lap
from deepracer_sim.tracks import load_track

# The crude controller of issue 14 (pure pursuit on a smoothed centre line, friction-limited speeds).
CRUDE_LAP = {"crescent_loop": 7.47, "reinvent_base": 7.53}


def assert_fast_clean_lap(track, crude_lap):
    line = compute_racing_line(track)
    lap = drive_oracle_lap(track, line)
    assert lap.completed and lap.status == "lap_complete", lap.status
    assert lap.all_wheels_on_track
    assert lap.lap_time < crude_lap
    # It follows the profile: within a few steps of the line's own standing-start estimate, never ahead.
    assert line.standing_lap_time < lap.lap_time < line.standing_lap_time + 0.5
    assert lap.max_line_distance < 0.2  # the car starts on the centre line, up to 0.2 m off the line
    # Once it has joined the line it stays near it.
    assert lap.joined_line_distance < line.margin
    settled = [line.locate(x, y)[1] for x, y in lap.path[30:]]
    assert max(settled) <= lap.joined_line_distance
    # It reaches the line's top speed on the straights (within the lag of the wheel-speed controller).
    assert lap.speeds.max() > 0.95 * line.speed.max()
    return lap


def test_oracle_laps_crescent_loop_faster_than_the_crude_controller():
    lap = assert_fast_clean_lap(load_track("crescent_loop"), CRUDE_LAP["crescent_loop"])
    assert lap.steps == pytest.approx(lap.lap_time * 15, abs=1.5)


def test_oracle_laps_reinvent_2018_faster_than_the_crude_controller(shared_tracks):
    assert_fast_clean_lap(load_track(shared_tracks / "reinvent_base.npy"), CRUDE_LAP["reinvent_base"])


def test_oracle_laps_reinvent_2018_the_other_way(shared_tracks):
    lap = drive_oracle_lap(load_track(shared_tracks / "reinvent_base.npy", reverse=True))
    assert lap.completed and lap.all_wheels_on_track


def test_pure_pursuit_steers_towards_the_line_and_reads_the_profile():
    track = load_track("crescent_loop")
    line = compute_racing_line(track)
    controller = PurePursuit(line)
    # On the line, heading along it, at the profile speed: steering as the line bends, speed held.
    arc = 1.0
    x, y = line.point_at(arc)
    ahead = line.point_at(arc + 0.05)
    yaw = math.atan2(ahead[1] - y, ahead[0] - x)
    state = np.zeros(STATE_SIZE)
    state[:4] = (x, y, yaw, line.speed_at(arc))
    steering, speed = controller.command(state)
    expected = math.degrees(math.atan(0.164 * line.curvature_at(arc)))
    assert steering == pytest.approx(expected, abs=1.5)
    assert speed == pytest.approx(line.speed_at(arc), abs=0.3)
    # Displaced to the left of the line it steers right, to the right it steers left.
    normal = np.array([-math.sin(yaw), math.cos(yaw)])
    state[:2] = (x, y) + 0.1 * normal
    left_of_line = controller.command(state)[0]
    state[:2] = (x, y) - 0.1 * normal
    right_of_line = controller.command(state)[0]
    assert left_of_line < steering < right_of_line


def test_oracle_refuses_a_line_of_another_track():
    line = compute_racing_line(load_track("crescent_loop"))
    with pytest.raises(ValueError, match="racing line is for another track"):
        drive_oracle_lap(load_track("crescent_loop", reverse=True), line)
