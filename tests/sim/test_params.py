"""Reward params against values worked out by hand on the real re:Invent 2018 route
(docs/deepracer-semantics.md#reward-params).
"""
import json
import math

import numpy as np
import pytest
from shapely.geometry import LinearRing, Point

from deepracer_sim.race.params import PARAM_KEYS, compute_progress, copy_params, reward_params
from deepracer_sim.tracks import Track

# reinvent_base's start straight runs along y ≈ 0.684 from x = 3.06 to about 6.2, heading +x.
START_Y = 0.6835


def test_every_documented_key_is_there_with_its_type(reinvent):
    params = reward_params(reinvent, 3.5, START_Y, 0.0, steering_angle=-12.5, speed=0.67)
    assert list(params) == list(PARAM_KEYS)
    expected_types = {
        "all_wheels_on_track": bool, "x": float, "y": float, "heading": float, "distance_from_center": float,
        "is_left_of_center": bool, "progress": float, "steps": float, "speed": float, "steering_angle": float,
        "track_width": float, "track_length": float, "waypoints": list, "closest_waypoints": list,
        "is_reversed": bool, "is_offtrack": bool, "is_crashed": bool, "closest_objects": list,
        "objects_location": list, "objects_left_of_center": list, "objects_speed": list, "objects_heading": list,
        "objects_distance": list, "projection_distance": float, "objects_distance_from_center": list,
        "object_in_camera": bool, "sim_time": float,
    }
    for key, kind in expected_types.items():
        assert type(params[key]) is kind, key
    assert params["steering_angle"] == -12.5 and params["speed"] == 0.67
    assert params["closest_objects"] == [0, 0] and params["objects_location"] == []
    json.dumps(params)  # plain JSON types only


def test_x_y_are_the_point_fourteen_centimetres_ahead_of_base_link(reinvent):
    params = reward_params(reinvent, 4.0, 1.0, 30.0)
    assert params["x"] == pytest.approx(4.0 + 0.14 * math.cos(math.radians(30.0)))
    assert params["y"] == pytest.approx(1.0 + 0.14 * math.sin(math.radians(30.0)))
    assert params["heading"] == pytest.approx(30.0)
    assert reward_params(reinvent, 4.0, 1.0, 190.0)["heading"] == pytest.approx(-170.0)
    assert reward_params(reinvent, 4.0, 1.0, -180.0)["heading"] == pytest.approx(180.0)


def test_progress_at_the_start_and_after_one_metre(reinvent):
    x0, y0 = reinvent.waypoints[0]
    at_start = reward_params(reinvent, x0, y0, 0.0, prev_progress=0.0)
    # The car sits on its start point; its front point is 0.14 m ahead: 0.14 / 17.709 = 0.79 %.
    assert at_start["progress"] == pytest.approx(100 * 0.14 / 17.709159, abs=2e-3)
    moved = reward_params(reinvent, x0 + 1.0, START_Y, 0.0, prev_progress=at_start["progress"])
    assert moved["progress"] == pytest.approx(100 * 1.14 / 17.709159, abs=2e-3)  # 6.437 %
    expected = LinearRing(reinvent.centre).project(Point(moved["x"], moved["y"]))
    assert moved["projection_distance"] == pytest.approx(expected, abs=1e-9)
    assert moved["progress"] == pytest.approx(100 * expected / reinvent.length, abs=1e-9)


def test_progress_is_measured_from_the_episode_start_point(reinvent):
    # Start a quarter of the way round: a car 1 m past that point has 1.14 m of progress.
    start = 0.25
    x, y = reinvent.point_at(start * reinvent.length + 1.0)
    heading = math.degrees(reinvent.heading_at(start * reinvent.length + 1.0))
    params = reward_params(reinvent, x, y, heading, start_ndist=start, prev_progress=1.0)
    assert params["progress"] == pytest.approx(100 * 1.14 / reinvent.length, abs=0.05)
    # Just behind the start point the simapp reports slightly negative progress (prev_progress 0).
    bx, by = reinvent.point_at(start * reinvent.length - 0.3)
    back_heading = math.degrees(reinvent.heading_at(start * reinvent.length - 0.3))
    behind = reward_params(reinvent, bx, by, back_heading, start_ndist=start, prev_progress=0.0)
    assert -1.0 < behind["progress"] < 0.0


def test_progress_algorithm_handles_the_finish_line():
    assert compute_progress(0.30, 0.0, 29.0) == pytest.approx(30.0)
    assert compute_progress(0.999, 0.5, 49.0) == pytest.approx(49.9)
    assert compute_progress(0.001, 0.0, 99.5) == 100.0  # crossed forwards: capped at 100
    assert compute_progress(0.995, 0.0, 0.2) == pytest.approx(-0.5)  # rolled back over the start
    assert compute_progress(0.0, 0.0, None) == 100.0


def test_closest_waypoints_are_the_ones_around_the_point_by_arc_length(reinvent):
    cum = np.concatenate(([0.0], np.cumsum(np.linalg.norm(np.diff(reinvent.centre, axis=0), axis=1))))
    # base_link 0.1 m past waypoint 10 on the start straight: the front point is 0.24 m past it.
    x10, _ = reinvent.waypoints[10]
    params = reward_params(reinvent, x10 + 0.1, START_Y, 0.0)
    k = int(np.searchsorted(cum, cum[10] + 0.24, side="right") - 1)
    assert params["closest_waypoints"] == [k, k + 1] == [11, 12]
    # Near the finish the pair wraps to [last-but-one, last] (the closing duplicate), never past it.
    xl, yl = reinvent.waypoints[-2]
    params = reward_params(reinvent, xl - 0.1, yl, 0.0)
    assert params["closest_waypoints"] == [117, 118]
    assert len(params["waypoints"]) == 119 and params["waypoints"][0] == params["waypoints"][-1]


def test_closest_waypoints_use_arc_length_not_euclidean_distance():
    # A hairpin: the point is Euclidean-closest to a waypoint on the other leg.
    t = np.linspace(0, np.pi, 20)
    leg_out = np.column_stack((np.linspace(0, 4, 20), np.zeros(20)))
    bend = np.column_stack((4 + 0.5 * np.sin(t), 0.5 - 0.5 * np.cos(t)))[1:]
    leg_back = np.column_stack((np.linspace(4, 0, 20), np.ones(20)))[1:]
    centre = np.vstack((leg_out, bend, leg_back))
    normal = np.gradient(centre, axis=0)
    normal = np.column_stack((-normal[:, 1], normal[:, 0])) / np.linalg.norm(normal, axis=1)[:, None]
    route = np.hstack((centre, centre + 0.15 * normal, centre - 0.15 * normal))
    track = Track(route, name="hairpin")
    params = reward_params(track, 1.9, 0.0, 0.0)  # front point at x = 2.04 on the outbound leg
    prev, nxt = params["closest_waypoints"]
    assert centre[prev][1] == 0.0 and centre[nxt][1] == 0.0
    assert centre[prev][0] <= 2.04 <= centre[nxt][0]


@pytest.mark.parametrize("reverse", [False, True])
def test_left_and_right_of_centre_in_both_directions(reinvent, reverse):
    heading = 180.0 if reverse else 0.0
    # The straight's +y side is the inner (left) side when driving forward (CCW), the right side in reverse.
    up = reward_params(reinvent, 4.5, START_Y + 0.2, heading, reverse=reverse)
    down = reward_params(reinvent, 4.5, START_Y - 0.2, heading, reverse=reverse)
    assert up["is_left_of_center"] is (not reverse)
    assert down["is_left_of_center"] is reverse
    assert up["is_reversed"] is reverse
    for params in (up, down):
        assert params["distance_from_center"] == pytest.approx(0.2, abs=2e-3)
        assert params["track_width"] == pytest.approx(0.762, abs=2e-3)


def test_reversed_direction_measures_progress_along_the_reversed_line(reinvent):
    x0, y0 = reinvent.waypoints[0]
    params = reward_params(reinvent, x0 - 1.0, START_Y, 180.0, reverse=True, prev_progress=0.0)
    assert params["progress"] == pytest.approx(100 * 1.14 / reinvent.length, abs=5e-3)
    assert params["closest_waypoints"][0] < 20  # indices count along the reversed waypoints
    assert params["waypoints"][1] == reinvent.waypoints[-2]


def test_track_width_is_local_on_a_variable_width_track():
    angle = np.linspace(0, 2 * np.pi, 361)
    width = 0.9 + 0.3 * np.cos(angle)  # 1.2 m at angle 0, 0.6 m at angle π
    radial = np.column_stack((np.cos(angle), np.sin(angle)))
    centre = 3.0 * radial
    route = np.hstack((centre, centre - radial * width[:, None] / 2, centre + radial * width[:, None] / 2))
    route[-1] = route[0]
    track = Track(route, name="variable")
    assert track.width == pytest.approx(0.9, abs=1e-3)
    # Cars pointing along the loop (CCW, heading +90° at angle 0) whose front point is on the centre line.
    wide = reward_params(track, 3.0, -0.14, 90.0)
    narrow = reward_params(track, -3.0, 0.14, -90.0)
    assert wide["track_width"] == pytest.approx(1.2, abs=5e-3)
    assert narrow["track_width"] == pytest.approx(0.6, abs=5e-3)


def test_off_track_only_when_all_four_wheels_are_out(reinvent):
    # Border at 0.381 m from the centre; wheel centres sit 0.08 m either side of base_link.
    cases = [(0.20, True, False), (0.38, False, False), (0.44, False, False), (0.50, False, True)]
    for offset, all_on, off in cases:
        params = reward_params(reinvent, 4.5, START_Y + offset, 0.0)
        assert params["all_wheels_on_track"] is all_on, offset
        assert params["is_offtrack"] is off, offset
        below = reward_params(reinvent, 4.5, START_Y - offset, 0.0)
        assert (below["all_wheels_on_track"], below["is_offtrack"]) == (all_on, off)


def test_object_params(reinvent):
    obstacle_ahead = (5.0, START_Y + 0.19)  # inner lane, 0.5 m ahead of the front point
    obstacle_behind = (3.6, START_Y - 0.19)  # outer lane
    params = reward_params(reinvent, 4.36, START_Y, 0.0, objects=[obstacle_ahead, obstacle_behind])
    assert params["objects_location"] == [list(obstacle_ahead), list(obstacle_behind)]
    assert params["closest_objects"] == [1, 0]  # [behind, ahead] as indices into objects_location
    assert params["objects_left_of_center"] == [True, False]
    ring = LinearRing(reinvent.centre)
    assert params["objects_distance"] == pytest.approx([ring.project(Point(p)) for p in (obstacle_ahead,
                                                                                         obstacle_behind)])
    assert params["objects_distance_from_center"] == pytest.approx([0.19, 0.19], abs=2e-3)
    assert params["objects_speed"] == [0.0, 0.0] and params["objects_heading"] == [0.0, 0.0]
    assert params["object_in_camera"] is True
    # Looking the other way, the next object (ahead along the track) is behind the camera.
    assert reward_params(reinvent, 4.36, START_Y, 180.0, objects=[obstacle_ahead, obstacle_behind])[
        "object_in_camera"] is False
    bots = reward_params(reinvent, 4.36, START_Y, 0.0, objects=[(5.0, START_Y, 0.05)], bot_car_speed=0.4)
    assert bots["objects_speed"] == [0.4] and bots["objects_heading"] == [0.05]  # radians


def test_reverse_flips_objects_left_of_center(reinvent):
    params = reward_params(reinvent, 4.36, START_Y, 180.0, reverse=True, objects=[(5.0, START_Y + 0.19)])
    assert params["objects_left_of_center"] == [False]


def test_copy_params_is_a_deep_copy(reinvent):
    params = reward_params(reinvent, 4.36, START_Y, 0.0, objects=[(5.0, START_Y + 0.19)])
    copied = copy_params(params)
    assert copied == params
    copied["waypoints"].clear()
    copied["objects_location"][0][0] = 99.0
    copied["closest_waypoints"][0] = -1
    assert len(params["waypoints"]) == 119
    assert params["objects_location"][0][0] == 5.0
    assert params["closest_waypoints"][0] != -1


def test_bad_inputs_are_rejected(reinvent):
    with pytest.raises(ValueError, match="x must be a finite number"):
        reward_params(reinvent, float("nan"), 0.0, 0.0)
    with pytest.raises(ValueError, match="start_ndist must be in"):
        reward_params(reinvent, 4.0, 0.7, 0.0, start_ndist=1.5)
    with pytest.raises(ValueError, match=r"objects\[0\] must be 2 or 3 finite numbers"):
        reward_params(reinvent, 4.0, 0.7, 0.0, objects=[(1.0,)])


def test_deepracer_params_command_prints_the_json(reinvent, capsys):
    from deepracer_bringup.cli import main

    code = main(["params", "--track", reinvent.source, "--x", "4.0", "--y", str(START_Y + 0.2), "--heading", "0",
                 "--steering-angle", "15", "--speed", "1.5"])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["x"] == pytest.approx(4.14)
    assert printed["is_left_of_center"] is True
    assert printed["steering_angle"] == 15.0 and printed["speed"] == 1.5
    assert len(printed["waypoints"]) == 119
    code = main(["params", "--track", reinvent.source, "--x", "4.0", "--y", str(START_Y + 0.2), "--heading", "180",
                 "--reverse", "--object", "3.0,0.68", "--no-waypoints"])
    printed = json.loads(capsys.readouterr().out)
    assert code == 0 and printed["is_reversed"] is True and printed["is_left_of_center"] is False
    assert "waypoints" not in printed and printed["objects_location"] == [[3.0, 0.68]]
    assert main(["params", "--track", "nowhere", "--x", "0", "--y", "0", "--heading", "0"]) == 1
    assert "unknown track 'nowhere'" in capsys.readouterr().err
