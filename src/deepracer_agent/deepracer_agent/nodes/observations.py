"""Observation dicts for a model, built from ROS messages exactly as the embedded simulator builds them
(for agent_node and training over topics; it reads ROS messages, so it lives with the nodes).

Camera frames become (120, 160, C) uint8 grey (C = 2 for stereo: left, right); raw LIDAR ranges
become the model's LIDAR observation through `lidar_observation`, as in the simulator. Anything a
message gets wrong (size, encoding, ray count) raises MessageError naming it; the node logs it
and keeps running.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from deepracer_common import sensor_geometry as geometry
from deepracer_common.model_metadata import ModelMetadata
from deepracer_common.observations import lidar_observation
from deepracer_common.ros.messages import MessageError, image_to_gray


class ObservationBuilder:
    def __init__(self, metadata: ModelMetadata):
        self.metadata = metadata
        self.camera = metadata.camera_sensor
        self.cameras_needed = 2 if self.camera == "STEREO_CAMERAS" else 1
        self.lidar = metadata.lidar_sensor

    @property
    def needs_lidar(self) -> bool:
        return self.lidar is not None

    def camera_frames(self, images: Sequence) -> np.ndarray:
        if len(images) < self.cameras_needed:
            raise MessageError(f"{self.camera} needs {self.cameras_needed} image(s), got {len(images)}")
        frames = [image_to_gray(image, geometry.IMAGE_WIDTH, geometry.IMAGE_HEIGHT)
                  for image in images[:self.cameras_needed]]
        return frames[0] if len(frames) == 1 else np.concatenate(frames, axis=2)

    def lidar_values(self, ranges: Sequence[float]) -> np.ndarray:
        ranges = np.asarray(ranges, dtype=np.float64)
        if ranges.shape != (geometry.LIDAR_NUM_RAYS,):
            raise MessageError(f"{self.lidar} needs {geometry.LIDAR_NUM_RAYS} LIDAR ranges, got {ranges.size}")
        try:
            return lidar_observation(ranges, self.lidar, self.metadata.lidar_config)
        except ValueError as error:
            raise MessageError(f"LIDAR ranges: {error}") from None

    def build(self, images: Sequence, ranges: Sequence[float] | None) -> dict[str, np.ndarray]:
        observation = {self.camera: self.camera_frames(images)}
        if self.lidar is not None:
            if ranges is None or len(ranges) == 0:
                raise MessageError(f"the model uses {self.lidar} but no LIDAR ranges arrived")
            observation[self.lidar] = self.lidar_values(ranges)
        return observation


def scan_to_rays(scan) -> np.ndarray:
    """A sensor_msgs/LaserScan as the simulator's 64 rays over ±150° in the laser frame (inf = no hit).

    sim_node's scan already has exactly these rays. Any other scan (the car's RPLIDAR: 360°, some
    hundred beams) is resampled at the 64 ray angles from its nearest beam, as the car's
    sensor_fusion_node resamples it; ranges outside [range_min, range_max] count as no hit.
    """
    ranges = np.asarray(scan.ranges, dtype=np.float64)
    if ranges.size == 0 or not math.isfinite(scan.angle_increment) or scan.angle_increment == 0.0:
        raise MessageError(f"LaserScan has {ranges.size} ranges and angle_increment {scan.angle_increment}")
    valid = np.isfinite(ranges) & (ranges >= scan.range_min) & (ranges <= scan.range_max)
    ranges = np.where(valid, ranges, np.inf)
    wanted = geometry.LIDAR_ANGLE_MIN + geometry.LIDAR_ANGLE_INCREMENT * np.arange(geometry.LIDAR_NUM_RAYS)
    if ranges.size == geometry.LIDAR_NUM_RAYS and abs(scan.angle_min - wanted[0]) < 1e-4 and \
            abs(scan.angle_increment - geometry.LIDAR_ANGLE_INCREMENT) < 1e-6:
        return ranges
    beam_angles = scan.angle_min + scan.angle_increment * np.arange(ranges.size)
    # Compare angles on the circle, so a scan from 0 to 2π serves rays at negative angles too.
    difference = np.angle(np.exp(1j * (wanted[:, None] - beam_angles[None, :])))
    nearest = np.abs(difference).argmin(axis=1)
    rays = ranges[nearest]
    # A ray with no beam within one increment of it saw nothing (outside the scanner's field of view).
    rays[np.abs(difference[np.arange(len(wanted)), nearest]) > abs(scan.angle_increment)] = np.inf
    return rays
