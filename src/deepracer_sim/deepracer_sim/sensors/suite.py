"""Batched sensor reads for the environments, and their Gymnasium observation spaces.

One `SensorSuite` serves any number of cars: cameras render every pose in one
call (per track direction), and the LIDAR, which publishes at 10 Hz while the
agent steps at 15 Hz (docs/deepracer-semantics.md#step-rate-and-physics), is only re-scanned for the cars whose scan
period has rolled over; the others reuse their last scan.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from gymnasium import spaces

from deepracer_common import model_metadata
from deepracer_common import sensor_geometry as geometry
from deepracer_common.model_metadata import CAMERA_SENSORS, LIDAR_SENSORS
from deepracer_common.observations import LIDAR_OBSERVATION_CLIP, lidar_observation, observation_shapes


class SensorConfigError(ValueError):
    """The sensor list or lidar_config cannot be simulated."""


def validate_sensors(sensors) -> tuple[str | None, str | None]:
    """(camera sensor or None, lidar sensor or None) from a model_metadata `sensor` list.

    Unlike model_metadata (which needs exactly one camera), a LIDAR-only list is
    accepted so LIDAR can be benchmarked alone.
    """
    if isinstance(sensors, str):
        sensors = [sensors]
    if not isinstance(sensors, (list, tuple)) or not sensors or not all(isinstance(s, str) for s in sensors):
        raise SensorConfigError(f"sensors must be a non-empty list of sensor names, got {sensors!r}")
    unknown = [s for s in sensors if s not in CAMERA_SENSORS + LIDAR_SENSORS]
    if unknown:
        raise SensorConfigError(f"unknown sensor {unknown[0]!r}; known: {', '.join(CAMERA_SENSORS + LIDAR_SENSORS)}")
    if len(set(sensors)) != len(sensors):
        raise SensorConfigError(f"sensor listed twice in {list(sensors)}")
    cameras = [s for s in sensors if s in CAMERA_SENSORS]
    lidars = [s for s in sensors if s in LIDAR_SENSORS]
    if len(cameras) > 1:
        raise SensorConfigError(f"at most one camera sensor, got {cameras}")
    if len(lidars) > 1:
        raise SensorConfigError(f"at most one LIDAR sensor, got {lidars}")
    return (cameras[0] if cameras else None), (lidars[0] if lidars else None)


def validate_lidar_config(config) -> dict:
    """lidar_config with defaults filled in, checked by the model-metadata rules (the one definition)."""
    try:
        return model_metadata.validate_lidar_config(config)
    except model_metadata.ModelMetadataError as error:
        raise SensorConfigError(str(error)) from None


def observation_space(camera: str | None, lidar: str | None, lidar_config: dict) -> spaces.Dict:
    """The Gymnasium space of the observations deepracer_common.observations describes."""
    entries = {}
    for name, shape in observation_shapes(camera, lidar, lidar_config).items():
        if len(shape) == 3:
            entries[name] = spaces.Box(0, 255, shape, dtype=np.uint8)
        elif name == "LIDAR":
            entries[name] = spaces.Box(*LIDAR_OBSERVATION_CLIP, shape, dtype=np.float32)
        else:
            entries[name] = spaces.Box(0.0, 1.0, shape, dtype=np.float32)
    return spaces.Dict(entries)


def lidar_period(sim_time: float) -> int:
    """Index of the LIDAR publication period a sim time falls in."""
    return int(math.floor(sim_time * geometry.LIDAR_RATE_HZ + 1e-6))


class SensorSuite:
    """Renderers and scanners for one sensor configuration, shared by every car that uses it."""

    def __init__(self, camera: str | None, lidar: str | None, lidar_config: dict, walls: bool = False,
                 noise_seed: int | None = None):
        self.camera = camera
        self.lidar = lidar
        self.lidar_config = lidar_config
        self.walls = walls
        self.noise_seed = noise_seed
        self._cameras: dict[int, tuple] = {}
        self._rgb_cameras: dict[int, tuple] = {}
        self._lidars: dict[int, tuple] = {}

    def _camera_for(self, track):
        entry = self._cameras.get(id(track))
        if entry is None or entry[0] is not track:
            from deepracer_sim.sensors.camera import CameraRenderer

            entry = (track, CameraRenderer(track, stereo=self.camera == "STEREO_CAMERAS", rgb=False, walls=self.walls,
                                           seed=self.noise_seed))
            self._cameras[id(track)] = entry
        return entry[1]

    def _lidar_for(self, track):
        entry = self._lidars.get(id(track))
        if entry is None or entry[0] is not track:
            from deepracer_sim.sensors.lidar import Lidar

            entry = (track, Lidar(track, walls=self.walls, seed=self.noise_seed))
            self._lidars[id(track)] = entry
        return entry[1]

    def rgb_frame(self, track, pose, objects) -> np.ndarray:
        """A colour camera frame (120, 160, 3) for render_mode='rgb_array'."""
        entry = self._rgb_cameras.get(id(track))
        if entry is None or entry[0] is not track:
            from deepracer_sim.sensors.camera import CameraRenderer

            entry = (track, CameraRenderer(track, rgb=True, walls=self.walls))
            self._rgb_cameras[id(track)] = entry
        return entry[1].render(np.asarray([pose], dtype=np.float64), _objects_or_none(objects))[0]

    def render(self, tracks: Sequence, poses: np.ndarray, objects: Sequence[np.ndarray]) -> np.ndarray:
        """Camera frames (N, 120, 160, C) for N cars, one renderer call per track direction."""
        first = tracks[0]
        if all(t is first for t in tracks):
            return self._camera_for(first).render(poses, _stack_objects(objects))
        out = None
        for track in {id(t): t for t in tracks}.values():
            rows = [i for i, t in enumerate(tracks) if t is track]
            frames = self._camera_for(track).render(poses[rows], _stack_objects([objects[i] for i in rows]))
            if out is None:
                out = np.empty((len(tracks), *frames.shape[1:]), dtype=frames.dtype)
            out[rows] = frames
        return out

    def scan(self, tracks: Sequence, poses: np.ndarray, objects: Sequence[np.ndarray]) -> np.ndarray:
        """LIDAR observations (N, k) float32 for N cars."""
        return self.observation(self.scan_ranges(tracks, poses, objects))

    def scan_ranges(self, tracks: Sequence, poses: np.ndarray, objects: Sequence[np.ndarray]) -> np.ndarray:
        """Raw LIDAR ranges (N, 64) float32 in metres for N cars (inf: nothing within range), what /scan carries."""
        ranges = np.empty((len(tracks), geometry.LIDAR_NUM_RAYS), dtype=np.float32)
        for track in {id(t): t for t in tracks}.values():
            rows = [i for i, t in enumerate(tracks) if t is track]
            ranges[rows] = self._lidar_for(track).scan(poses[rows], _stack_objects([objects[i] for i in rows]))
        return ranges

    def observation(self, ranges: np.ndarray) -> np.ndarray:
        """What the network sees of raw ranges (N, 64) for this suite's LIDAR sensor."""
        return lidar_observation(ranges, self.lidar, self.lidar_config)


def _objects_or_none(objects: np.ndarray | None):
    if objects is None or len(objects) == 0:
        return None
    return objects


def _stack_objects(objects: Sequence[np.ndarray]):
    """Objects in the sensors' format: None (no objects), shared (M, 7), or per car (N, M, 7)."""
    if all(o is None or len(o) == 0 for o in objects):
        return None
    if len(objects) == 1:
        return objects[0]
    return np.stack(objects)  # every car of a suite has the same object count (same settings)
