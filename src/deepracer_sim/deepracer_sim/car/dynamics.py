"""Single-track car dynamics with saturating tyres, integrated in numba substeps.

State vector (float64, 7): x, y (base_link, world m), yaw (rad), vx, vy (body
frame m/s, x forward, y left), yaw rate (rad/s), steering angle (rad, the same
angle on both front wheels: the Gazebo car has no Ackermann linkage).

Forces, per axle (front f, rear r), with static loads Fz = m·g·(other arm)/L:
- drive: the speed controller asks for m·a, a = clip((v_cmd − vx)/τ, −braking,
  +acceleration), split between the axles by load (all four wheels are driven at
  the same speed in Gazebo) and limited to μ·Fz;
- lateral: −C·Fz·α with α the slip angle of the axle's contact point velocity
  in the wheel frame, limited to the rest of the friction circle
  √((μ·Fz)² − Fx²). Past that limit the axle slides: front first (the car
  ploughs wide), or rear (it spins) under heavy drive.
At low speed the lateral velocity and yaw rate are blended toward the
kinematic bicycle values so a car at walking pace (and the 0.1 m/s minimum
command) follows its steering exactly.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from deepracer_sim.car.parameters import DEFAULT_CAR, MAX_SPEED, MAX_STEERING_DEG, MIN_SPEED, CarParameters

X, Y, YAW, VX, VY, YAW_RATE, STEER = range(7)
STATE_SIZE = 7

# Index of each CarParameters field in CarParameters.as_array().
(_MASS, _IZ, _LF, _LR, _MU, _CSTIFF, _TAU_V, _ACC, _BRAKE, _STEER_RATE, _V_LO, _V_HI, _MAX_H, _G) = range(14)


# fastmath and numpy's error model make the substep loop ~35 % faster; the state is always finite.
@njit(cache=True, fastmath=True, error_model="numpy")
def _substep(s, steer_target, speed_target, h, p):
    m = p[_MASS]
    lf = p[_LF]
    lr = p[_LR]
    wheelbase = lf + lr
    mu = p[_MU]
    g = p[_G]

    # Steering servo: rate-limited toward the target.
    max_turn = p[_STEER_RATE] * h
    error = steer_target - s[STEER]
    if error > max_turn:
        error = max_turn
    elif error < -max_turn:
        error = -max_turn
    delta = s[STEER] + error
    s[STEER] = delta

    vx = s[VX]
    vy = s[VY]
    r = s[YAW_RATE]
    accel = (speed_target - vx) / p[_TAU_V]
    if accel > p[_ACC]:
        accel = p[_ACC]
    elif accel < -p[_BRAKE]:
        accel = -p[_BRAKE]

    fz_front = m * g * lr / wheelbase
    fz_rear = m * g * lf / wheelbase
    fx_front = m * accel * lr / wheelbase
    fx_rear = m * accel * lf / wheelbase
    limit_front = mu * fz_front
    limit_rear = mu * fz_rear
    fx_front = min(max(fx_front, -limit_front), limit_front)
    fx_rear = min(max(fx_rear, -limit_rear), limit_rear)

    cos_d = math.cos(delta)
    sin_d = math.sin(delta)
    # Contact point velocities in each wheel's frame.
    front_lat_body = vy + lf * r
    front_long = vx * cos_d + front_lat_body * sin_d
    front_lat = -vx * sin_d + front_lat_body * cos_d
    rear_long = vx
    rear_lat = vy - lr * r
    alpha_front = -math.atan2(front_lat, abs(front_long))
    alpha_rear = -math.atan2(rear_lat, abs(rear_long))
    fy_front = p[_CSTIFF] * fz_front * alpha_front
    fy_rear = p[_CSTIFF] * fz_rear * alpha_rear
    lat_limit_front = math.sqrt(max(limit_front * limit_front - fx_front * fx_front, 0.0))
    lat_limit_rear = math.sqrt(max(limit_rear * limit_rear - fx_rear * fx_rear, 0.0))
    fy_front = min(max(fy_front, -lat_limit_front), lat_limit_front)
    fy_rear = min(max(fy_rear, -lat_limit_rear), lat_limit_rear)

    force_x = fx_front * cos_d - fy_front * sin_d + fx_rear
    force_y = fx_front * sin_d + fy_front * cos_d + fy_rear
    moment = lf * (fx_front * sin_d + fy_front * cos_d) - lr * fy_rear

    vx_new = vx + h * (force_x / m + vy * r)
    vy_new = vy + h * (force_y / m - vx * r)
    r_new = r + h * moment / p[_IZ]

    # Near standstill slip angles are ill-defined: follow the kinematic bicycle instead.
    speed = math.hypot(vx_new, vy_new)
    weight = (speed - p[_V_LO]) / (p[_V_HI] - p[_V_LO])
    if weight < 1.0:
        if weight < 0.0:
            weight = 0.0
        if weight == 0.0:
            # Purely kinematic: the drive law alone sets the forward speed.
            vx_new = vx + h * accel
        r_kin = vx_new * math.tan(delta) / wheelbase
        vy_kin = r_kin * lr
        vy_new = weight * vy_new + (1.0 - weight) * vy_kin
        r_new = weight * r_new + (1.0 - weight) * r_kin

    yaw = s[YAW]
    cos_y = math.cos(yaw)
    sin_y = math.sin(yaw)
    s[X] += h * (vx_new * cos_y - vy_new * sin_y)
    s[Y] += h * (vx_new * sin_y + vy_new * cos_y)
    yaw += h * r_new
    if yaw > math.pi:
        yaw -= 2.0 * math.pi
    elif yaw <= -math.pi:
        yaw += 2.0 * math.pi
    s[YAW] = yaw
    s[VX] = vx_new
    s[VY] = vy_new
    s[YAW_RATE] = r_new


@njit(cache=True, fastmath=True, error_model="numpy")
def advance(state, steer_target, speed_target, duration, p):
    """Integrate one car for `duration` seconds under a held command (rad, m/s), in place."""
    n = int(math.ceil(duration / p[_MAX_H] - 1e-9))
    if n < 1:
        n = 1
    h = duration / n
    for _ in range(n):
        _substep(state, steer_target, speed_target, h, p)


@njit(cache=True)
def advance_many(states, steer_targets, speed_targets, duration, p, active):
    """advance() for every row of `states` whose `active` flag is set."""
    for i in range(states.shape[0]):
        if active[i]:
            advance(states[i], steer_targets[i], speed_targets[i], duration, p)


def clip_command(steering_deg: float, speed: float) -> tuple[float, float]:
    """The simapp's actuator clip
    (docs/deepracer-semantics.md#actions-to-actuators): steering ±30°, speed [0.1, 4] m/s; returns (rad, m/s).
    """
    steering_deg = min(MAX_STEERING_DEG, max(-MAX_STEERING_DEG, steering_deg))
    speed = min(MAX_SPEED, max(MIN_SPEED, speed))
    return math.radians(steering_deg), speed


class Car:
    """One simulated car: its state vector, parameters and the actuator clip."""

    def __init__(self, parameters: CarParameters = DEFAULT_CAR):
        self.parameters = parameters
        self._p = parameters.as_array()
        self.state = np.zeros(STATE_SIZE)

    def place(self, x: float, y: float, yaw: float) -> None:
        """Teleport at rest (velocities, yaw rate and steering zeroed), like Gazebo's set_model_state."""
        for value, what in ((x, "x"), (y, "y"), (yaw, "yaw")):
            if not math.isfinite(value):
                raise ValueError(f"car pose {what} must be finite, got {value!r}")
        self.state[:] = 0.0
        self.state[X] = x
        self.state[Y] = y
        self.state[YAW] = math.atan2(math.sin(yaw), math.cos(yaw))

    def drive(self, steering_deg: float, speed: float, duration: float) -> None:
        """Apply a commanded (steering deg, speed m/s) for `duration` s, after the simapp's clip."""
        # clip_command(), inlined: this runs every step.
        steering_deg = MAX_STEERING_DEG if steering_deg > MAX_STEERING_DEG else \
            -MAX_STEERING_DEG if steering_deg < -MAX_STEERING_DEG else steering_deg
        speed = MAX_SPEED if speed > MAX_SPEED else MIN_SPEED if speed < MIN_SPEED else speed
        advance(self.state, math.radians(steering_deg), float(speed), float(duration), self._p)

    def brake(self, steering_deg: float, duration: float) -> None:
        """No drive for `duration` s (a servo's zero throttle): the wheels are told to stop, so the car brakes
        to rest, while the steering still follows its command. An action never does this: its speed is
        clipped up to 0.1 m/s (docs/deepracer-semantics.md#actions-to-actuators)."""
        steer, _ = clip_command(steering_deg, 0.0)
        advance(self.state, steer, 0.0, float(duration), self._p)

    def coast_to_stop(self, duration: float) -> None:
        """Zero command (the prepare step): steering centred, wheels told to stop."""
        advance(self.state, 0.0, 0.0, float(duration), self._p)

    @property
    def pose(self) -> tuple[float, float, float]:
        return float(self.state[X]), float(self.state[Y]), float(self.state[YAW])

    @property
    def speed(self) -> float:
        return math.hypot(self.state[VX], self.state[VY])
