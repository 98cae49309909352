"""The DeepRacer's rear-facing 2-D LIDAR and the three observations built from it (spec §4).

Ray convention (inferred from the URDF, spec §4 and §10.8): the LIDAR frame is yawed by pi
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

from deepracer_control.model_metadata import validate_lidar_config
from deepracer_sim.sensors import geometry as g
from deepracer_sim.sensors._kernels import scan_batch
from deepracer_sim.sensors.scene import check_track, flatten_objects, validate_poses, wall_segments

LIDAR_SENSOR_NAMES = ("LIDAR", "SECTOR_LIDAR", "DISCRETIZED_SECTOR_LIDAR")
# LIDAR observation: ranges clipped to this window (spec §4: VectorObservationSpace(64, 0.15, 1.0)).
LIDAR_OBSERVATION_CLIP = (0.15, 1.0)
# SECTOR_LIDAR is the discretised algorithm with one value per sector and a 0.5 m threshold.
SECTOR_LIDAR_SECTORS = 8
SECTOR_LIDAR_THRESHOLD = 0.5


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


def lidar_observation(ranges: Any, sensor_name: str, lidar_config: dict | None = None) -> np.ndarray:
    """Turn raw ranges into what the network sees for `sensor_name` (spec §4).

    ranges: (64,) or (N, 64) metres; inf means nothing hit. Returns float32:
      LIDAR                    -> ranges clipped to [0.15, 1.0] (inf -> 1.0), same shape;
      SECTOR_LIDAR             -> (8,) / (N, 8): 1.0 where the sector's nearest hit is < 0.5 m;
      DISCRETIZED_SECTOR_LIDAR -> num_sectors * num_values_per_sector per scan: per sector the
                                  nearest hit (inf -> clipping_dist) in one-hot distance bins,
                                  the "nothing within clipping_dist" bin dropped.
    lidar_config only applies to DISCRETIZED_SECTOR_LIDAR (defaults 8 / 8 / 2.0); for the other
    two it is checked and ignored.
    """
    if sensor_name not in LIDAR_SENSOR_NAMES:
        raise ValueError(f"unknown LIDAR sensor {sensor_name!r}; expected one of {LIDAR_SENSOR_NAMES}")
    array = np.asarray(ranges, dtype=np.float64)
    if array.shape[-1:] != (g.LIDAR_NUM_RAYS,) or array.ndim not in (1, 2):
        raise ValueError(f"ranges must have shape (64,) or (N, 64), got {array.shape}")
    if np.isnan(array).any():
        raise ValueError("ranges contain NaN; use inf for 'nothing hit'")
    # The other sensors ignore lidar_config, as the simulator does, but a malformed one is
    # still an error worth reporting.
    config = validate_lidar_config(lidar_config)
    if sensor_name == "LIDAR":
        return np.clip(array, *LIDAR_OBSERVATION_CLIP).astype(np.float32)
    if sensor_name == "SECTOR_LIDAR":
        return _discretize(array, SECTOR_LIDAR_SECTORS, 1, SECTOR_LIDAR_THRESHOLD)
    return _discretize(array, config["num_sectors"], config["num_values_per_sector"], float(config["clipping_dist"]))


def _discretize(ranges: np.ndarray, sectors: int, values: int, clip: float) -> np.ndarray:
    distances = np.where(np.isinf(ranges) & (ranges > 0), clip, ranges)
    per_sector = distances.reshape(*distances.shape[:-1], sectors, -1).min(axis=-1)
    per_sector = np.minimum(per_sector, clip)
    bins = np.floor(per_sector / (clip / values))
    bins = np.clip(bins, 0, values).astype(np.int64)
    one_hot = np.eye(values + 1, dtype=np.float32)[bins][..., :values]
    return one_hot.reshape(*ranges.shape[:-1], sectors * values)
