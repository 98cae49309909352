"""A racing line: the minimum-curvature path of a track with its speed profile and lap time."""
from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field

import numpy as np

from deepracer_sim.tracks import geometry
from deepracer_sim.car.parameters import CAR_WIDTH, DEFAULT_CAR, MAX_SPEED, CarParameters
from deepracer_sim.raceline.optimise import (
    STATION_SPACING,
    RacingLineError,
    fit_spline,
    minimum_curvature_path,
)
from deepracer_sim.raceline.speed import SpeedLimits, loop_speed_profile, segment_times, speed_profile

CAR_HALF_WIDTH = CAR_WIDTH / 2.0  # m, from the car's centre line to the side of its body
# Default room kept beyond the car's half-width on each side: more than the oracle strays from the line
# once it has joined it (about 4 cm at full speed on every shipped and AWS loop).
DEFAULT_MARGIN = 0.05
# Distance between the points of the written line.
OUTPUT_SPACING = 0.05
# Share of the tyres' friction the speed profile corners on. At the full limit no controller stepping at
# 15 Hz holds the line (the car slides wide or spins at the first correction); the oracle completes
# every track with all wheels on the road at 0.85 and loses laps above about 0.875.
DEFAULT_GRIP = 0.85


def centre_fingerprint(centre) -> str:
    """A short hash of a centre line in driving order: the route's centre columns, or a params dict's
    `waypoints` (the same numbers), so a reward function can tell which track it is on."""
    array = np.ascontiguousarray(np.asarray(centre, dtype=np.float64).reshape(-1, 2))
    return hashlib.sha256(array.tobytes()).hexdigest()[:16]


@dataclass
class RacingLine:
    """Points along the line in driving order; a loop's last point joins its first (not repeated here)."""

    track: str  # track name
    is_reversed: bool
    is_loop: bool
    fingerprint: str  # centre_fingerprint of the track's centre line in driving order
    margin: float  # m kept beyond the car's half-width from each border
    xy: np.ndarray  # (N, 2) m
    arc: np.ndarray  # (N,) m from the first point
    curvature: np.ndarray  # (N,) 1/m, + turning left
    speed: np.ndarray  # (N,) m/s
    time: np.ndarray  # (N,) s from the first point at these speeds
    length: float  # m, the whole line (a loop's closing segment included)
    lap_time: float  # s: a loop's flying lap; an open track from the start at rest
    standing_lap_time: float  # s from rest at the first point
    limits: SpeedLimits
    friction_limit_lap_time: float  # s, lap_time with the speed profile at the full friction (grip 1)
    solve_seconds: float = 0.0
    source: str = ""
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def clearance(self) -> float:
        return CAR_HALF_WIDTH + self.margin

    def closed_xy(self) -> np.ndarray:
        """The points with a loop's first point repeated at the end."""
        return np.vstack((self.xy, self.xy[:1])) if self.is_loop else self.xy

    def closed(self, values: np.ndarray) -> np.ndarray:
        """Per-point values with a loop's first value repeated at the end."""
        return np.append(values, values[:1]) if self.is_loop else values

    def closed_arc(self) -> np.ndarray:
        return np.append(self.arc, self.length) if self.is_loop else self.arc

    def locate(self, x: float, y: float) -> tuple[float, float]:
        """(arc length along the line of the nearest line point, distance from the line) of a point."""
        points, cum = self._tables()[:2]
        arc, distance, _, _, _ = geometry.project_point(float(x), float(y), points, cum)
        return float(arc), float(distance)

    def speed_at(self, arc: float) -> float:
        """Profile speed (m/s) at an arc length, linear between points; a loop wraps, an open line clamps."""
        _, cum, speed, _ = self._tables()
        return float(np.interp(arc % self.length if self.is_loop else arc, cum, speed))

    def curvature_at(self, arc: float) -> float:
        _, cum, _, curvature = self._tables()
        return float(np.interp(arc % self.length if self.is_loop else arc, cum, curvature))

    def point_at(self, arc: float) -> np.ndarray:
        points, cum = self._tables()[:2]
        x, y, _ = geometry.interpolate(points, cum, float(arc % self.length if self.is_loop else arc))
        return np.array([x, y])

    def _tables(self):
        """(points, arc, speed, curvature) with a loop closed, built once for the per-step queries."""
        tables = self.cache.get("tables")
        if tables is None:
            points = np.ascontiguousarray(self.closed_xy())
            tables = (points, np.ascontiguousarray(geometry.cumulative_length(points)),
                      self.closed(self.speed), self.closed(self.curvature))
            self.cache["tables"] = tables
        return tables

    def min_clearance(self, track) -> float:
        """Smallest distance (m) from the line (as a polyline) to either border of `track`."""
        from shapely.geometry import LineString

        line = LineString(self.closed_xy())
        return float(min(line.distance(LineString(track.inner)), line.distance(LineString(track.outer))))


def compute_racing_line(
    track,
    margin: float = DEFAULT_MARGIN,
    car: CarParameters = DEFAULT_CAR,
    max_speed: float = MAX_SPEED,
    grip: float = DEFAULT_GRIP,
    spacing: float = STATION_SPACING,
) -> RacingLine:
    """The minimum-curvature racing line of a Track (in its driving direction) and its speed profile.

    `margin`: room (m) kept beyond the car's half-width from each border.
    `grip`: the share of the tyres' friction the speed profile corners on.
    """
    if not (isinstance(margin, (int, float)) and math.isfinite(margin) and margin >= 0):
        raise RacingLineError(f"margin must be a non-negative number of metres, got {margin!r}")
    limits = SpeedLimits.for_car(car, max_speed, grip)
    import clarabel  # noqa: F401  (imported before the clock starts: solve_seconds is the solve)
    import scipy.interpolate  # noqa: F401
    import shapely  # noqa: F401

    started = time.perf_counter()
    path = minimum_curvature_path(track, CAR_HALF_WIDTH + margin, spacing)
    xy, curvature, length = _resample(path.points, track.is_loop, OUTPUT_SPACING)
    if track.is_loop:
        # Start the line level with the track's start line.
        first = int(np.argmin(np.linalg.norm(xy - track.centre[0], axis=1)))
        xy = np.roll(xy, -first, axis=0)
        curvature = np.roll(curvature, -first)
    arc = geometry.cumulative_length(np.vstack((xy, xy[:1])) if track.is_loop else xy)
    length = float(arc[-1])
    if track.is_loop:
        arc = arc[:-1]
    speed, lap, standing_time = _profile(arc, curvature, length, limits, track.is_loop)
    limit_lap = _profile(arc, curvature, length, SpeedLimits.for_car(car, max_speed, 1.0), track.is_loop)[1]
    elapsed = np.concatenate(([0.0], np.cumsum(lap)))
    return RacingLine(
        track=track.name,
        is_reversed=track.is_reversed,
        is_loop=track.is_loop,
        fingerprint=centre_fingerprint(track.centre),
        margin=float(margin),
        xy=xy,
        arc=arc,
        curvature=curvature,
        speed=speed,
        time=elapsed[: len(arc)],
        length=length,
        lap_time=float(elapsed[-1]),
        standing_lap_time=standing_time,
        limits=limits,
        friction_limit_lap_time=float(np.sum(limit_lap)),
        solve_seconds=time.perf_counter() - started,
        source=track.source,
    )


def _profile(arc, curvature, length, limits, loop):
    """(speeds, segment times of a lap, standing-start lap time) along a line."""
    if not loop:
        speed = speed_profile(arc, curvature, limits, start_speed=0.0)
        lap = segment_times(arc, speed)
        return speed, lap, float(np.sum(lap))
    speed = loop_speed_profile(arc, curvature, length, limits)
    closed_arc = np.append(arc, length)
    closed_speed = np.append(speed, speed[0])
    standing = speed_profile(closed_arc, np.append(curvature, curvature[0]), limits, start_speed=0.0)
    standing = np.minimum(standing, closed_speed)
    return speed, segment_times(closed_arc, closed_speed), float(np.sum(segment_times(closed_arc, standing)))


def _resample(points: np.ndarray, loop: bool, spacing: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Points about `spacing` apart on the spline through `points`, their curvature, and the spline length."""
    spline, length = fit_spline(points, loop)
    count = max(int(math.ceil(length / spacing)), 8)
    parameter = np.linspace(0.0, length, count, endpoint=False) if loop else np.linspace(0.0, length, count + 1)
    xy = spline(parameter)
    first = spline(parameter, 1)
    second = spline(parameter, 2)
    curvature = (first[:, 0] * second[:, 1] - first[:, 1] * second[:, 0]) / np.linalg.norm(first, axis=1) ** 3
    return xy, curvature, length
