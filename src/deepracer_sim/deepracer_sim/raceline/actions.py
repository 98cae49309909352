"""A discrete action space suggested by a racing line: the (steering, speed) pairs the line asks for.

The line is sampled once per control step (15 Hz) over a lap, so every sample is one decision a
policy driving the line would make; each sample's steering is the kinematic angle of the line's
curvature, atan(wheelbase·κ) (the simulated car steers neutrally: its steady-state angle is this one
up to the grip limit), and its speed is the profile's. k-means (scipy) groups the samples into a few
actions; the straight at top speed and the sharpest left and right turns the line needs are added, so
the policy can hold the straights and make the tightest corners.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from deepracer_sim.car.parameters import MAX_STEERING_DEG, WHEELBASE
from deepracer_sim.raceline.line import RacingLine

DEFAULT_CLUSTERS = 7
CONTROL_DT = 1.0 / 15.0
STEERING_STEP = 0.5  # degrees the suggested angles are rounded to
SPEED_STEP = 0.05  # m/s the suggested speeds are rounded to
# Actions closer than this to one already kept are dropped.
MERGE_STEERING = 1.5
MERGE_SPEED = 0.2


@dataclass(frozen=True)
class SuggestedActions:
    actions: list[tuple[float, float]]  # (steering deg + left, speed m/s), by steering then speed
    steering_range: tuple[float, float]  # degrees the line needs, right (negative) to left
    speed_range: tuple[float, float]  # m/s
    garage: dict  # the console garage setting that covers them (type, max_steering_angle, ...)

    def action_space_json(self) -> list[dict]:
        """The list form of a model_metadata / training-config `action_space`."""
        return [{"steering_angle": steering, "speed": speed} for steering, speed in self.actions]

    def garage_flags(self) -> str:
        g = self.garage
        return (f"--max-steering-angle {g['max_steering_angle']:g} --steering-granularity {g['steering_granularity']} "
                f"--max-speed {g['max_speed']:g} --speed-granularity {g['speed_granularity']}")


def control_samples(line: RacingLine, dt: float = CONTROL_DT) -> tuple[np.ndarray, np.ndarray]:
    """(steering deg, speed m/s) the line asks for at each control step of a lap."""
    times = np.append(line.time, line.lap_time) if line.is_loop else line.time
    arcs = line.closed_arc()
    moments = np.arange(0.0, times[-1], dt)
    arc = np.interp(moments, times, arcs)
    curvature = np.interp(arc, arcs, line.closed(line.curvature))
    speed = np.interp(arc, arcs, line.closed(line.speed))
    steering = np.degrees(np.arctan(WHEELBASE * curvature))
    return steering, speed


def suggest_action_space(line: RacingLine, clusters: int = DEFAULT_CLUSTERS) -> SuggestedActions:
    from scipy.cluster.vq import kmeans2

    steering, speed = control_samples(line)
    # A line leaves the start at rest on an open track; the policy's slowest useful speed is a corner's.
    moving = speed >= max(0.5, line.limits.min_speed)
    steering, speed = steering[moving], speed[moving]
    scale = np.array([max(float(np.std(steering)), 1e-3), max(float(np.std(speed)), 1e-3)])
    samples = np.column_stack((steering, speed)) / scale
    count = int(min(clusters, len(np.unique(samples, axis=0))))
    centres, _ = kmeans2(samples, count, seed=1, minit="++")
    candidates = [tuple(centre * scale) for centre in centres]
    candidates.append((0.0, float(np.max(speed))))
    for index in (int(np.argmax(steering)), int(np.argmin(steering))):
        if abs(steering[index]) > 1.0:
            candidates.append((float(steering[index]), float(speed[index])))
    # The extremes and the straight first, so merging keeps them exact.
    ordered = candidates[count:] + candidates[:count]
    kept: list[tuple[float, float]] = []
    for angle, velocity in ordered:
        angle = float(np.clip(_round(angle, STEERING_STEP), -MAX_STEERING_DEG, MAX_STEERING_DEG))
        velocity = float(np.clip(_round(velocity, SPEED_STEP), line.limits.min_speed, line.limits.max_speed))
        if all(abs(angle - a) >= MERGE_STEERING or abs(velocity - v) >= MERGE_SPEED for a, v in kept):
            kept.append((angle, velocity))
    kept.sort()
    widest = max(abs(a) for a, _ in kept)
    garage = {
        "type": "discrete",
        "max_steering_angle": float(min(MAX_STEERING_DEG, max(1.0, math.ceil(widest)))),
        "steering_granularity": 7,
        "max_speed": float(max(v for _, v in kept)),
        "speed_granularity": 3,
    }
    return SuggestedActions(
        actions=kept,
        steering_range=(float(np.min(steering)), float(np.max(steering))),
        speed_range=(float(np.min(speed)), float(np.max(speed))),
        garage=garage,
    )


def _round(value: float, step: float) -> float:
    return round(round(value / step) * step, 6) + 0.0  # + 0.0 turns -0.0 into 0.0
