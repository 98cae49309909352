"""The DeepRacer's rear-facing 2-D LIDAR: ray-cast ranges (the observations built from them are in
deepracer_common.observations).

Ray convention (inferred from the URDF, docs/deepracer-semantics.md#lidar,
docs/deepracer-semantics.md#open-questions): the LIDAR frame is yawed by pi
relative to base_link, so in the car's frame ranges[0] points about +30 deg (front-left),
the rays sweep counter-clockwise through the rear (ranges[31]/[32] straddle straight back)
and end at about -30 deg (front-right). The 60 deg gap without rays is straight AHEAD:
an obstacle directly in front of the car is not seen, one directly behind is.

The LIDAR scans a horizontal plane at its mounting height (about 0.185 m). An object is
seen when that plane cuts it (its height reaches the plane); the floor and the track lines
are never seen; walls are seen when the scanner was built with walls=True.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from deepracer_common import sensor_geometry as g
from deepracer_sim.sensors._kernels import scan_batch
from deepracer_sim.sensors.scene import check_track, flatten_objects, validate_poses, wall_segments


class Lidar:
    """Ray-casts the 64 LIDAR rays for a batch of car poses.

    seed=None gives exact, noise-free ranges; an integer seed adds the simulator's Gaussian
    range noise (sigma 0.01 m) from a generator seeded with it.
    """

    def __init__(self, track: Any, walls: bool = False, seed: int | None = None):
        check_track(track)
        self.walls = bool(walls)
        self._wall_segments = wall_segments(track) if self.walls else np.zeros((0, 4))
        self._rng = None if seed is None else np.random.default_rng(seed)
        self._angles = g.lidar_ray_angles_in_car_frame()
        self._first_angle = float(self._angles[0])
        self._step = float(g.LIDAR_ANGLE_INCREMENT)
        self._bin_cos = np.cos(self._angles)
        self._bin_sin = np.sin(self._angles)
        self._mount_x, _, self._mount_z = g.LIDAR_OFFSET_XYZ

    @property
    def ray_angles(self) -> np.ndarray:
        """(64,) ray directions in base_link, radians CCW from the car's +x."""
        return self._angles.copy()

    def scan(self, poses: Any, objects: Any = None) -> np.ndarray:
        """(N, 64) float32 ranges in metres from the LIDAR origin.

        objects: (M, 7) shared by every pose, or one set per pose (e.g. one per vectorised
        environment) as (N, M, 7) or a list of N (M_i, 7) arrays. Returns inf where no surface
        is within 12 m; hits closer than 0.15 m are reported as 0.15 m.
        """
        poses = validate_poses(poses)
        objects, begin, end = flatten_objects(objects, len(poses))
        ranges = np.empty((len(poses), g.LIDAR_NUM_RAYS), dtype=np.float64)
        scan_batch(poses, self._mount_x, self._mount_z, self._wall_segments, objects, begin, end,
                   self._first_angle, self._step, self._bin_cos, self._bin_sin, ranges)
        if self._rng is not None:
            finite = np.isfinite(ranges)
            ranges[finite] += self._rng.normal(0.0, g.LIDAR_NOISE_STDDEV, size=int(finite.sum()))
        ranges[ranges > g.LIDAR_RANGE_MAX] = np.inf
        np.maximum(ranges, g.LIDAR_RANGE_MIN, out=ranges)
        return ranges.astype(np.float32)
