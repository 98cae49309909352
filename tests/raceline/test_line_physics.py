"""The racing line and its speed profile against cases with known answers, and the car's limits."""
import math

import numpy as np
import pytest

from deepracer_sim.car.parameters import DEFAULT_CAR, GRAVITY, MAX_SPEED
from deepracer_sim.raceline import CAR_HALF_WIDTH, DEFAULT_MARGIN, SpeedLimits, compute_racing_line
from deepracer_sim.raceline.speed import loop_speed_profile, speed_profile
from deepracer_sim.tracks import Track, list_tracks, load_track
from deepracer_sim.tracks.track import route_from_lines
from raceline_support import AWS_ROUTES, assert_on_the_road_with_margin

RING_CENTRE_RADIUS = 2.0
RING_WIDTH = 0.762


def ring_track(points: int = 200) -> Track:
    """A circular road."""
    angle = np.linspace(0.0, 2.0 * math.pi, points)
    circle = np.column_stack((np.cos(angle), np.sin(angle)))
    circle[-1] = circle[0]
    half = RING_WIDTH / 2.0
    route = route_from_lines(RING_CENTRE_RADIUS * circle, (RING_CENTRE_RADIUS - half) * circle,
                             (RING_CENTRE_RADIUS + half) * circle)
    return Track(route, name="ring")


def wiggly_stadium() -> Track:
    """Two half circles joined by 6 m straights whose centre line wiggles 8 cm either way."""
    from deepracer_sim.raceline.store import track_from_waypoints

    radius, straight = 2.0, 6.0
    x = np.linspace(0.0, straight, 121)
    wiggle = 0.08 * np.sin(2.0 * math.pi * x / 1.5)
    turn = np.linspace(-math.pi / 2, math.pi / 2, 64)[1:-1]
    lower = np.column_stack((x, -radius + wiggle))
    right = np.column_stack((straight + radius * np.cos(turn), radius * np.sin(turn)))
    upper = np.column_stack((x[::-1], radius - wiggle[::-1]))
    left = np.column_stack((-radius * np.cos(turn), -radius * np.sin(turn)))
    centre = np.vstack((lower, right, upper, left, lower[:1]))
    return track_from_waypoints(centre, RING_WIDTH)


def test_ring_line_is_a_circle_at_its_cornering_speed():
    line = compute_racing_line(ring_track())
    radius = float(np.mean(np.linalg.norm(line.xy, axis=1)))
    assert np.linalg.norm(line.xy, axis=1) == pytest.approx(radius, abs=1e-3)
    assert np.abs(line.curvature) == pytest.approx(1.0 / radius, rel=0.01)
    lateral = line.limits.lateral_acceleration
    assert lateral == pytest.approx(0.85 * DEFAULT_CAR.friction * GRAVITY)
    speed = math.sqrt(lateral * radius)
    assert line.speed == pytest.approx(speed, rel=0.01)
    assert line.lap_time == pytest.approx(2.0 * math.pi * radius / speed, rel=0.01)
    # From rest the car gains speed only with the grip the cornering leaves: slower than a flying lap.
    assert line.standing_lap_time > line.lap_time + 0.3
    # At the full grip the same circle is driven sqrt(1 / 0.85) times faster.
    assert line.friction_limit_lap_time == pytest.approx(line.lap_time * math.sqrt(0.85), rel=0.01)


def test_line_irons_out_a_wiggle_the_road_leaves_room_to_drive_straight():
    track = wiggly_stadium()
    line = compute_racing_line(track)
    assert_on_the_road_with_margin(track, line, DEFAULT_MARGIN)
    # The centre line's wiggle bends it at up to 0.08 (2 pi / 1.5)^2 = 1.4 /m on the straights.
    for lower in (True, False):
        on_straight = ((line.xy[:, 1] < -1.5) if lower else (line.xy[:, 1] > 1.5)) & (line.xy[:, 0] > 1.0) \
            & (line.xy[:, 0] < 5.0)
        assert on_straight.sum() > 60
        bends = line.curvature[on_straight]
        # The line runs from the outside of one corner to the outside of the next in one gentle S: no wiggle
        # (the centre line's changes its bend five times between x = 1 and 5 m).
        assert np.abs(bends).max() < 0.2
        assert np.count_nonzero(np.diff(np.sign(bends))) <= 2
    # Cutting from the outside in and out again through the half circles, it is shorter than the centre line.
    assert line.length < track.length - 0.5


def test_straight_from_rest_accelerates_at_the_drive_limit_to_top_speed():
    line = compute_racing_line(load_track("straight"))
    acceleration = DEFAULT_CAR.acceleration_limit
    # 0 -> 4 m/s at 3 m/s² covers 8/3 m in 4/3 s; the remaining 10/3 m take 5/6 s at 4 m/s.
    expected = MAX_SPEED / acceleration + (6.0 - MAX_SPEED**2 / (2 * acceleration)) / MAX_SPEED
    assert line.lap_time == pytest.approx(expected, rel=2e-3)
    assert line.speed[0] == 0.0 and line.speed[-1] == pytest.approx(MAX_SPEED)
    assert np.abs(line.curvature).max() < 1e-6


def assert_profile_respects_the_limits(line):
    limits = line.limits
    arc, speed, kappa = line.closed_arc(), line.closed(line.speed), np.abs(line.closed(line.curvature))
    assert speed.max() <= limits.max_speed + 1e-9
    assert np.all(speed**2 * kappa <= limits.lateral_acceleration * (1 + 1e-9))
    step = np.diff(arc)
    acceleration = (speed[1:] ** 2 - speed[:-1] ** 2) / (2.0 * step)
    # The forward pass uses the friction circle at the segment's start, the backward one at its end.
    lateral_start = speed[:-1] ** 2 * kappa[:-1]
    lateral_end = speed[1:] ** 2 * kappa[1:]
    grip = limits.lateral_acceleration
    speeding_up = acceleration > 0
    spare_start = np.sqrt(np.maximum(grip**2 - lateral_start**2, 0.0))
    spare_end = np.sqrt(np.maximum(grip**2 - lateral_end**2, 0.0))
    assert np.all(acceleration[speeding_up] <= np.minimum(limits.acceleration, spare_start[speeding_up]) + 1e-6)
    assert np.all(-acceleration[~speeding_up] <= np.minimum(limits.braking, spare_end[~speeding_up]) + 1e-6)
    # The time column is the profile's own integral.
    time = np.append(line.time, line.lap_time) if line.is_loop else line.time
    assert np.all(np.diff(time) > 0)
    assert time[-1] == pytest.approx(np.sum(step / (0.5 * (speed[1:] + speed[:-1]))), rel=1e-9)


@pytest.mark.parametrize("name", list_tracks())
def test_speed_profile_respects_the_car_limits_on_shipped_tracks(name):
    assert_profile_respects_the_limits(compute_racing_line(load_track(name)))


@pytest.mark.parametrize("name", AWS_ROUTES)
def test_speed_profile_respects_the_car_limits_on_aws_routes(shared_tracks, name):
    line = compute_racing_line(load_track(shared_tracks / f"{name}.npy"), grip=1.0)
    assert_profile_respects_the_limits(line)
    # At the full grip the corners run at the friction limit: some point sits right on it.
    lateral = line.speed**2 * np.abs(line.curvature)
    assert lateral.max() == pytest.approx(DEFAULT_CAR.friction * GRAVITY, rel=1e-6)


def test_loop_profile_wraps_round_the_finish_line():
    # A loop whose slowest corner straddles the start: the braking for it starts before the finish.
    arc = np.arange(0.0, 20.0, 0.05)
    kappa = np.where((arc < 1.0) | (arc > 19.0), 2.0, 0.0)
    limits = SpeedLimits.for_car(grip=1.0)
    speed = loop_speed_profile(arc, kappa, 20.0, limits)
    corner = math.sqrt(limits.lateral_acceleration / 2.0)
    assert speed[0] == pytest.approx(corner)
    assert speed[-1] == pytest.approx(corner, rel=1e-3)
    # Before the corner (arc 19) the car brakes down from top speed at the braking limit.
    approach = (arc > 15.0) & (arc <= 19.0)
    expected = np.sqrt(np.minimum(corner**2 + 2 * limits.braking * (19.0 - arc[approach]), limits.max_speed**2))
    assert speed[approach] == pytest.approx(expected, rel=1e-6)
    assert speed_profile(arc, np.zeros_like(arc), limits, start_speed=0.0)[0] == 0.0


def test_bad_limits_are_refused():
    with pytest.raises(ValueError, match="grip must be in"):
        SpeedLimits.for_car(grip=0.0)
    with pytest.raises(ValueError, match="max speed must be in"):
        SpeedLimits.for_car(max_speed=5.0)
    from deepracer_sim.raceline import RacingLineError

    with pytest.raises(RacingLineError, match="margin must be a non-negative"):
        compute_racing_line(load_track("crescent_loop"), margin=-0.1)


def test_lines_on_the_aws_routes_keep_the_margin_in_both_directions(shared_tracks):
    for name in AWS_ROUTES:
        track = load_track(shared_tracks / f"{name}.npy", reverse=True)
        assert_on_the_road_with_margin(track, compute_racing_line(track), DEFAULT_MARGIN)
