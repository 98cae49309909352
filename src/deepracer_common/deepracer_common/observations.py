"""What the network sees from each sensor: observation shapes and the LIDAR observations.

The simulator builds observations with these functions, and so does the agent from ROS messages on
the car, so a frame or a scan means the same to a model wherever it comes from
(docs/deepracer-semantics.md#observations).
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Optional

import numpy as np

from deepracer_common import sensor_geometry as geometry
from deepracer_common.model_metadata import LIDAR_SENSORS, ModelMetadata, validate_lidar_config

# Camera observations: (height, width) after the simulator's resize, one channel per lens.
IMAGE_SHAPE = (geometry.IMAGE_HEIGHT, geometry.IMAGE_WIDTH)
# LIDAR observation: ranges clipped to this window.
LIDAR_OBSERVATION_CLIP = (0.15, 1.0)
# SECTOR_LIDAR is the discretised algorithm with one value per sector and a 0.5 m threshold.
SECTOR_LIDAR_SECTORS = 8
SECTOR_LIDAR_THRESHOLD = 0.5


def observation_shapes(camera: Optional[str], lidar: Optional[str], lidar_config: Optional[dict] = None
                       ) -> "OrderedDict[str, tuple]":
    """Observation shape per sensor, camera first (the order the networks embed them in)."""
    shapes: "OrderedDict[str, tuple]" = OrderedDict()
    if camera is not None:
        shapes[camera] = (*IMAGE_SHAPE, 2 if camera == "STEREO_CAMERAS" else 1)
    if lidar == "LIDAR":
        shapes[lidar] = (geometry.LIDAR_NUM_RAYS,)
    elif lidar == "SECTOR_LIDAR":
        shapes[lidar] = (SECTOR_LIDAR_SECTORS,)
    elif lidar == "DISCRETIZED_SECTOR_LIDAR":
        config = validate_lidar_config(lidar_config)
        shapes[lidar] = (int(config["num_sectors"]) * int(config["num_values_per_sector"]),)
    return shapes


def observation_spec(metadata: ModelMetadata) -> "OrderedDict[str, tuple]":
    """Observation shapes of a model: what the simulator produces for it and what its network takes."""
    return observation_shapes(metadata.camera_sensor, metadata.lidar_sensor, metadata.lidar_config)


def grey_from_rgb(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB uint8 -> (H, W, 1) uint8 grey with the simulator's luma weights, rounded."""
    grey = np.asarray(rgb, dtype=np.float64)[..., :3] @ np.asarray(geometry.LUMA_WEIGHTS, dtype=np.float64)
    return np.clip(np.floor(grey + 0.5), 0, 255).astype(np.uint8)[..., None]


def lidar_observation(ranges: Any, sensor_name: str, lidar_config: Optional[dict] = None) -> np.ndarray:
    """Turn raw ranges into what the network sees for `sensor_name` (docs/deepracer-semantics.md#lidar).

    ranges: (64,) or (N, 64) metres; inf means nothing hit. Returns float32:
      LIDAR                    -> ranges clipped to [0.15, 1.0] (inf -> 1.0), same shape;
      SECTOR_LIDAR             -> (8,) / (N, 8): 1.0 where the sector's nearest hit is < 0.5 m;
      DISCRETIZED_SECTOR_LIDAR -> num_sectors * num_values_per_sector per scan: per sector the
                                  nearest hit (inf -> clipping_dist) in one-hot distance bins,
                                  the "nothing within clipping_dist" bin dropped.
    lidar_config only applies to DISCRETIZED_SECTOR_LIDAR (defaults 8 / 8 / 2.0); for the other
    two it is checked and ignored.
    """
    if sensor_name not in LIDAR_SENSORS:
        raise ValueError(f"unknown LIDAR sensor {sensor_name!r}; expected one of {LIDAR_SENSORS}")
    array = np.asarray(ranges, dtype=np.float64)
    if array.shape[-1:] != (geometry.LIDAR_NUM_RAYS,) or array.ndim not in (1, 2):
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
