"""The fastest speed along a path for the simulated car's grip, drive and speed limits.

Three limits, the usual quasi-steady-state lap-time model:
- cornering: v²·|κ| ≤ μ·g (the tyres' friction; the simulated car's tyres saturate at μ·load);
- accelerating and braking: the drive's limits (CarParameters.acceleration_limit, braking_limit),
  within what the friction circle leaves beside the cornering force, √((μg)² − (v²κ)²);
- the top speed the simulator accepts (4 m/s).
A forward pass applies the acceleration limit, a backward pass the braking limit; on a loop both
start at the slowest corner, where the cornering limit alone decides the speed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from deepracer_sim.car.parameters import DEFAULT_CAR, GRAVITY, MAX_SPEED, MIN_SPEED, CarParameters


@dataclass(frozen=True)
class SpeedLimits:
    lateral_acceleration: float  # m/s², the friction limit μ·g
    acceleration: float  # m/s²
    braking: float  # m/s², positive
    max_speed: float  # m/s
    min_speed: float = MIN_SPEED  # m/s, the simulator's smallest speed command

    def __post_init__(self) -> None:
        for name in ("lateral_acceleration", "acceleration", "braking", "max_speed", "min_speed"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"speed limit {name} must be a positive number, got {value!r}")
        if self.max_speed < self.min_speed:
            raise ValueError(f"max_speed {self.max_speed} is below min_speed {self.min_speed}")

    @classmethod
    def for_car(cls, car: CarParameters = DEFAULT_CAR, max_speed: float = MAX_SPEED, grip: float = 1.0) -> "SpeedLimits":
        """The car's limits; `grip` scales the friction used for cornering (below 1 leaves a reserve)."""
        if not (0 < grip <= 1):
            raise ValueError(f"grip must be in (0, 1], got {grip!r}")
        if not (MIN_SPEED <= max_speed <= MAX_SPEED):
            raise ValueError(f"max speed must be in [{MIN_SPEED}, {MAX_SPEED}] m/s, got {max_speed!r}")
        friction = car.friction * GRAVITY
        return cls(
            lateral_acceleration=grip * friction,
            acceleration=min(car.acceleration_limit, friction),
            braking=min(car.braking_limit, friction),
            max_speed=max_speed,
        )


def cornering_speeds(curvature: np.ndarray, limits: SpeedLimits) -> np.ndarray:
    """The highest speed each point's curvature allows on its own."""
    kappa = np.abs(np.asarray(curvature, dtype=float))
    with np.errstate(divide="ignore"):
        speed = np.sqrt(limits.lateral_acceleration / kappa)
    return np.clip(speed, limits.min_speed, limits.max_speed)


def _longitudinal_room(speed: float, kappa: float, limit: float, lateral: float) -> float:
    """Acceleration (or deceleration) the friction circle leaves at this speed and curvature, capped by `limit`."""
    used = speed * speed * kappa
    spare = lateral * lateral - used * used
    return min(limit, math.sqrt(spare)) if spare > 0.0 else 0.0


def speed_profile(arc: np.ndarray, curvature: np.ndarray, limits: SpeedLimits,
                  start_speed: float | None = None) -> np.ndarray:
    """Speeds (m/s) at the points of an open path given their arc lengths and curvatures.

    `start_speed`: the speed at the first point (0 for a standing start); None lets the limits decide.
    """
    arc = np.asarray(arc, dtype=float)
    kappa = np.abs(np.asarray(curvature, dtype=float))
    count = len(arc)
    cap = cornering_speeds(kappa, limits)
    lateral = limits.lateral_acceleration
    steps = np.diff(arc)
    speed = cap.copy()
    if start_speed is not None:
        speed[0] = min(speed[0], max(float(start_speed), 0.0))
    for i in range(count - 1):
        room = _longitudinal_room(speed[i], kappa[i], limits.acceleration, lateral)
        speed[i + 1] = min(speed[i + 1], math.sqrt(speed[i] ** 2 + 2.0 * room * steps[i]))
    for i in range(count - 2, -1, -1):
        room = _longitudinal_room(speed[i + 1], kappa[i + 1], limits.braking, lateral)
        speed[i] = min(speed[i], math.sqrt(speed[i + 1] ** 2 + 2.0 * room * steps[i]))
    return speed


def loop_speed_profile(arc: np.ndarray, curvature: np.ndarray, length: float, limits: SpeedLimits) -> np.ndarray:
    """Speeds at the N points of a closed path (arc[0] = 0, arc[-1] < length, the lap `length` long)."""
    arc = np.asarray(arc, dtype=float)
    curvature = np.asarray(curvature, dtype=float)
    cap = cornering_speeds(curvature, limits)
    # Start both passes at the slowest corner: its speed is the cornering limit whatever comes before.
    first = int(np.argmin(cap))
    order = np.concatenate((np.arange(first, len(arc)), np.arange(0, first + 1)))
    unrolled = arc[order].copy()
    unrolled[len(arc) - first:] += length
    speed = speed_profile(unrolled, curvature[order], limits)
    result = np.empty(len(arc))
    result[order[:-1]] = speed[:-1]
    result[first] = min(speed[0], speed[-1])
    return result


def segment_times(arc: np.ndarray, speed: np.ndarray) -> np.ndarray:
    """Time (s) on each segment between consecutive points at constant acceleration (average of the two speeds)."""
    steps = np.diff(np.asarray(arc, dtype=float))
    mean = 0.5 * (speed[:-1] + speed[1:])
    return steps / np.maximum(mean, 1e-9)
