"""The car model: kinematic at walking pace, sliding wide past the tyres' grip, and the actuator limits."""
import math

import numpy as np
import pytest

from deepracer_sim.car import Car, CarParameters, clip_command
from deepracer_sim.car.parameters import GRAVITY, WHEELBASE

DT = 1.0 / 15.0


def _circle_radius(points):
    """Least-squares circle fit through (M, 2) points."""
    x, y = points[:, 0], points[:, 1]
    a = np.column_stack((x, y, np.ones_like(x)))
    (cx2, cy2, c), *_ = np.linalg.lstsq(a, x**2 + y**2, rcond=None)
    cx, cy = cx2 / 2, cy2 / 2
    return math.sqrt(c + cx**2 + cy**2), np.array([cx, cy])


def _corner(speed, steering_deg, approach_steps=8, corner_steps=45):
    """Drive straight at `speed`, then hold the steering: returns the points in the corner."""
    car = Car()
    car.place(0.0, 0.0, 0.0)
    car.state[3] = speed  # already rolling at the commanded speed
    for _ in range(approach_steps):
        car.drive(0.0, speed, DT)
    entry = np.array(car.pose[:2])
    points = []
    for _ in range(corner_steps):
        car.drive(steering_deg, speed, DT)
        points.append(car.pose[:2])
    return entry, np.array(points), car


def test_at_workshop_speed_the_car_holds_the_corner_radius():
    radius = WHEELBASE / math.tan(math.radians(30.0))  # 0.284 m, the kinematic radius
    entry, points, car = _corner(1.0, 30.0)
    fitted, centre = _circle_radius(points[5:])
    assert fitted == pytest.approx(radius, rel=0.1)
    # The kinematic circle starts tangent at the entry point, its centre one radius to the left.
    assert np.linalg.norm(centre - (entry + [0.0, radius])) < 0.05
    assert car.speed == pytest.approx(1.0, abs=0.05)


def test_at_four_metres_per_second_the_same_steering_slides_out_of_the_corner():
    radius = WHEELBASE / math.tan(math.radians(30.0))
    entry, points, _ = _corner(4.0, 30.0)
    kinematic_centre = entry + [0.0, radius]
    distance_from_centre = np.linalg.norm(points - kinematic_centre, axis=1)
    # Grip (μ·g = 4.9 m/s²) cannot hold 4 m/s on a 0.28 m radius (56 m/s²): the car ploughs wide.
    assert distance_from_centre.max() > 2.0
    fitted, _ = _circle_radius(points[:10])
    assert fitted > 2.0 * radius


def test_sliding_starts_where_friction_runs_out():
    # On a 0.61 m radius (15° steering) grip holds up to about √(μ g R) = 1.7 m/s.
    radius = WHEELBASE / math.tan(math.radians(15.0))
    limit = math.sqrt(0.5 * GRAVITY * radius)
    for speed, holds in ((0.5, True), (1.3, True), (2.5, False), (3.5, False)):
        entry, points, _ = _corner(speed, 15.0, corner_steps=int(2 * math.pi * radius / speed / DT))
        fitted, _ = _circle_radius(points[len(points) // 3:])
        assert (abs(fitted - radius) < 0.15 * radius) is holds, (speed, fitted, limit)


def test_actuator_limits_follow_the_simapp():
    assert clip_command(45.0, 5.0) == (pytest.approx(math.radians(30.0)), 4.0)
    assert clip_command(-45.0, 0.0) == (pytest.approx(math.radians(-30.0)), 0.1)
    # 45° steering drives the same circle as 30°: the command is clipped.
    _, clipped, _ = _corner(0.5, 45.0)
    _, thirty, _ = _corner(0.5, 30.0)
    np.testing.assert_allclose(clipped, thirty, atol=1e-12)
    # A zero speed command still creeps at 0.1 m/s (docs/deepracer-semantics.md#actions-to-actuators).
    car = Car()
    car.place(0.0, 0.0, 0.0)
    for _ in range(30):
        car.drive(0.0, 0.0, DT)
    assert car.speed == pytest.approx(0.1, abs=1e-3)


def test_acceleration_is_limited_and_reaches_the_command():
    car = Car()
    car.place(0.0, 0.0, 0.0)
    car.drive(0.0, 4.0, DT)
    assert car.speed == pytest.approx(CarParameters().acceleration_limit * DT, rel=0.05)
    for _ in range(45):
        car.drive(0.0, 4.0, DT)
    assert car.speed == pytest.approx(4.0, abs=0.02)
    x, y, yaw = car.pose
    assert y == pytest.approx(0.0, abs=1e-9) and yaw == pytest.approx(0.0, abs=1e-12)


def test_a_zero_command_keeps_a_parked_car_still():
    car = Car()
    car.place(1.0, 2.0, 0.5)
    car.coast_to_stop(DT)
    assert car.pose == pytest.approx((1.0, 2.0, 0.5))


def test_bad_poses_and_parameters_are_rejected():
    car = Car()
    with pytest.raises(ValueError, match="car pose x must be finite"):
        car.place(float("nan"), 0.0, 0.0)
    with pytest.raises(ValueError, match="yaw must be finite"):
        car.place(0.0, 0.0, float("inf"))
    with pytest.raises(ValueError, match="friction must be a positive finite number"):
        CarParameters(friction=-1.0)
