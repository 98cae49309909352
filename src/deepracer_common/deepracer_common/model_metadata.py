"""model_metadata.json: the DeepRacer model description shared by the simulator, the car and our tools.

The schema is the console's (docs/deepracer-semantics.md#model-metadata,
docs/car-interfaces.md#model-metadata-on-the-car), so a model folder
moves between the console, DeepRacer-for-Cloud, the car and this stack.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deepracer_common.action_space import ActionSpace, ActionSpaceError, action_space_from_json
from deepracer_common.atomic import write_json_atomic

CAMERA_SENSORS = ("FRONT_FACING_CAMERA", "STEREO_CAMERAS", "LEFT_CAMERA", "observation")
LIDAR_SENSORS = ("LIDAR", "SECTOR_LIDAR", "DISCRETIZED_SECTOR_LIDAR")
NEURAL_NETWORKS = (
    "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW",
    "DEEP_CONVOLUTIONAL_NETWORK",
    "DEEP_CONVOLUTIONAL_NETWORK_DEEP",
)
TRAINING_ALGORITHMS = ("clipped_ppo", "sac")
# The console and DeepRacer-for-Cloud write "5"; the simulator semantics we implement are those of v5+.
DEFAULT_VERSION = "5"
DISCRETIZED_LIDAR_DEFAULTS = {"num_sectors": 8, "num_values_per_sector": 8, "clipping_dist": 2.0}


class ModelMetadataError(ValueError):
    """model_metadata.json content is not valid; the message names the key and the file."""


@dataclass
class ModelMetadata:
    action_space: ActionSpace
    sensor: list[str] = field(default_factory=lambda: ["FRONT_FACING_CAMERA"])
    neural_network: str = "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW"
    training_algorithm: str = "clipped_ppo"
    version: str = DEFAULT_VERSION
    lidar_config: dict | None = None

    def __post_init__(self) -> None:
        validate_sensors(self.sensor)
        if self.neural_network not in NEURAL_NETWORKS:
            raise ModelMetadataError(f"neural_network must be one of {NEURAL_NETWORKS}, got {self.neural_network!r}")
        if self.training_algorithm not in TRAINING_ALGORITHMS:
            raise ModelMetadataError(
                f"training_algorithm must be one of {TRAINING_ALGORITHMS}, got {self.training_algorithm!r}"
            )
        if self.training_algorithm == "sac" and self.action_space.type != "continuous":
            raise ModelMetadataError("training_algorithm 'sac' needs a continuous action space")
        if "DISCRETIZED_SECTOR_LIDAR" in self.sensor:
            self.lidar_config = validate_lidar_config(self.lidar_config)

    @property
    def action_space_type(self) -> str:
        return self.action_space.type

    @property
    def camera_sensor(self) -> str:
        return next(s for s in self.sensor if s in CAMERA_SENSORS)

    @property
    def lidar_sensor(self) -> str | None:
        return next((s for s in self.sensor if s in LIDAR_SENSORS), None)

    def to_dict(self) -> dict:
        data: dict[str, Any] = {
            "action_space": self.action_space.to_json(),
            "sensor": list(self.sensor),
            "neural_network": self.neural_network,
            "training_algorithm": self.training_algorithm,
            "action_space_type": self.action_space_type,
            "version": self.version,
        }
        if self.lidar_config is not None:
            data["lidar_config"] = dict(self.lidar_config)
        return data

    @classmethod
    def from_dict(cls, data: Any, source: str = "model_metadata") -> "ModelMetadata":
        if not isinstance(data, dict):
            raise ModelMetadataError(f"{source}: expected a JSON object, got {type(data).__name__}")
        if "action_space" not in data:
            raise ModelMetadataError(f"{source}: missing required key 'action_space'")
        try:
            action_space = action_space_from_json(data["action_space"], data.get("action_space_type"))
        except ActionSpaceError as error:
            raise ModelMetadataError(f"{source}: {error}") from None
        sensors = data.get("sensor", ["observation"])
        if isinstance(sensors, str):
            sensors = [sensors]
        try:
            return cls(
                action_space=action_space,
                sensor=list(sensors),
                neural_network=data.get("neural_network", "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW"),
                training_algorithm=data.get("training_algorithm", "clipped_ppo"),
                version=str(data.get("version", DEFAULT_VERSION)),
                lidar_config=data.get("lidar_config"),
            )
        except ModelMetadataError as error:
            raise ModelMetadataError(f"{source}: {error}") from None

    @classmethod
    def load(cls, path: str | os.PathLike) -> "ModelMetadata":
        path = Path(path)
        try:
            text = path.read_text()
        except OSError as error:
            raise ModelMetadataError(f"{path}: cannot read model metadata ({error.strerror})") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ModelMetadataError(f"{path}: not valid JSON at line {error.lineno}: {error.msg}") from None
        return cls.from_dict(data, source=str(path))

    def save(self, path: str | os.PathLike) -> None:
        write_json_atomic(path, self.to_dict())


def validate_sensors(sensors: Any) -> None:
    if not isinstance(sensors, list) or not all(isinstance(s, str) for s in sensors):
        raise ModelMetadataError(f"sensor must be a list of sensor names, got {sensors!r}")
    unknown = [s for s in sensors if s not in CAMERA_SENSORS + LIDAR_SENSORS]
    if unknown:
        raise ModelMetadataError(f"unknown sensor {unknown[0]!r}; known: {CAMERA_SENSORS + LIDAR_SENSORS}")
    cameras = [s for s in sensors if s in CAMERA_SENSORS]
    lidars = [s for s in sensors if s in LIDAR_SENSORS]
    if len(cameras) != 1:
        raise ModelMetadataError(f"a model needs exactly one camera sensor, got {cameras or 'none'}")
    if len(lidars) > 1:
        raise ModelMetadataError(f"a model takes at most one LIDAR sensor, got {lidars}")


def validate_lidar_config(config: Any) -> dict:
    merged = dict(DISCRETIZED_LIDAR_DEFAULTS)
    if config is not None:
        if not isinstance(config, dict):
            raise ModelMetadataError(f"lidar_config must be an object, got {config!r}")
        unknown = set(config) - set(merged)
        if unknown:
            raise ModelMetadataError(f"lidar_config has unknown keys {sorted(unknown)}; known: {sorted(merged)}")
        merged.update(config)
    sectors, values, clip = merged["num_sectors"], merged["num_values_per_sector"], merged["clipping_dist"]
    # bool is an int in Python; `True` sectors is a typo, not 1.
    if isinstance(sectors, bool) or not isinstance(sectors, int) or sectors < 1 or 64 % sectors:
        raise ModelMetadataError(f"lidar_config.num_sectors must divide 64, got {sectors!r}")
    if isinstance(values, bool) or not isinstance(values, int) or values < 1:
        raise ModelMetadataError(f"lidar_config.num_values_per_sector must be a positive integer, got {values!r}")
    if isinstance(clip, bool) or not isinstance(clip, (int, float)) or not 0.15 <= clip <= 12.0:
        raise ModelMetadataError(f"lidar_config.clipping_dist must be in [0.15, 12] m, got {clip!r}")
    return merged
