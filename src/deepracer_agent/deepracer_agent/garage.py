"""The garage: a vehicle = sensors + neural network + action space, as the DeepRacer console builds it.

A vehicle turns into the model's `model_metadata.json` (deepracer_common.model_metadata, the one
place for that schema); the action space comes from deepracer_common.action_space, so the list a
garage setting produces is the list the simulator and the car use.

A vehicle can be written as a dict (a config file's "vehicle" object):

    {"sensors": ["FRONT_FACING_CAMERA"],            # or STEREO_CAMERAS, plus optional LIDAR / SECTOR_LIDAR
     "neural_network": "3-layer CNN",               # or "5-layer CNN", or the metadata names
     "action_space": {"type": "discrete", "max_steering_angle": 30, "steering_granularity": 5,
                      "max_speed": 1.0, "speed_granularity": 3}}

or with a continuous action space {"type": "continuous", "steering_angle": {"low": -30, "high": 30},
"speed": {"low": 0.5, "high": 1.0}}, or with an explicit list of {"steering_angle", "speed"} actions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from deepracer_common.action_space import (
    ActionSpace,
    ActionSpaceError,
    ContinuousActionSpace,
    action_space_from_json,
    discrete_from_garage,
)
from deepracer_common.model_metadata import (
    LIDAR_SENSORS,
    ModelMetadata,
    ModelMetadataError,
    validate_lidar_config,
)
from deepracer_common.race import WORKSHOP_ACTION_SPACE


class GarageError(ValueError):
    """A vehicle setting is not valid; the message names the setting and the allowed values."""


SHALLOW = "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW"
DEEP = "DEEP_CONVOLUTIONAL_NETWORK"
DEEP_DEEP = "DEEP_CONVOLUTIONAL_NETWORK_DEEP"

# The console shows the two networks as "3-layer CNN" and "5-layer CNN" (docs/deepracer-semantics.md#networks).
NETWORK_NAMES = {
    "3-layer cnn": SHALLOW,
    "3-layer": SHALLOW,
    "5-layer cnn": DEEP,
    "5-layer": DEEP,
    SHALLOW.lower(): SHALLOW,
    DEEP.lower(): DEEP,
    DEEP_DEEP.lower(): DEEP_DEEP,
}
NETWORK_LABELS = {SHALLOW: "3-layer CNN", DEEP: "5-layer CNN", DEEP_DEEP: "deep CNN (not in the console)"}

GARAGE_CAMERAS = ("FRONT_FACING_CAMERA", "STEREO_CAMERAS")
SENSOR_NAMES = {
    "camera": "FRONT_FACING_CAMERA",
    "front_facing_camera": "FRONT_FACING_CAMERA",
    "stereo": "STEREO_CAMERAS",
    "stereo_cameras": "STEREO_CAMERAS",
    "lidar": "LIDAR",
    "sector_lidar": "SECTOR_LIDAR",
    "discretized_sector_lidar": "DISCRETIZED_SECTOR_LIDAR",
}

def network_name(value: Any) -> str:
    if not isinstance(value, str) or value.strip().lower() not in NETWORK_NAMES:
        raise GarageError(
            f"neural_network {value!r} is not known; use '3-layer CNN' ({SHALLOW}) or '5-layer CNN' ({DEEP})"
        )
    return NETWORK_NAMES[value.strip().lower()]


def sensor_name(value: Any) -> str:
    if not isinstance(value, str):
        raise GarageError(f"a sensor must be a name, got {value!r}")
    key = value.strip().lower()
    if key in SENSOR_NAMES:
        return SENSOR_NAMES[key]
    raise GarageError(
        f"sensor {value!r} is not known; use FRONT_FACING_CAMERA or STEREO_CAMERAS, "
        "optionally with LIDAR, SECTOR_LIDAR or DISCRETIZED_SECTOR_LIDAR"
    )


def validate_garage_sensors(sensors: list[str]) -> list[str]:
    sensors = [sensor_name(s) for s in sensors]
    if len(set(sensors)) != len(sensors):
        raise GarageError(f"sensor list {sensors} names a sensor twice")
    cameras = [s for s in sensors if s in GARAGE_CAMERAS]
    lidars = [s for s in sensors if s in LIDAR_SENSORS]
    if len(cameras) != 1:
        raise GarageError(
            f"a vehicle needs exactly one camera (FRONT_FACING_CAMERA or STEREO_CAMERAS), got {cameras or 'none'}"
        )
    if len(lidars) > 1:
        raise GarageError(f"a vehicle takes at most one LIDAR sensor, got {lidars}")
    # The camera first, as the console writes it.
    return cameras + lidars


def action_space_from_spec(spec: Any) -> ActionSpace:
    """An action space from a garage description, a model_metadata `action_space` value, or an ActionSpace."""
    if hasattr(spec, "command") and hasattr(spec, "to_json"):
        return spec
    try:
        if isinstance(spec, list):
            return action_space_from_json(spec, "discrete")
        if not isinstance(spec, dict):
            raise GarageError(f"action_space must be an object or a list of actions, got {spec!r}")
        kind = spec.get("type", "continuous" if "steering_angle" in spec and isinstance(spec["steering_angle"], dict) else "discrete")
        if kind == "discrete":
            known = {"type", "max_steering_angle", "steering_granularity", "max_speed", "speed_granularity"}
            unknown = sorted(set(spec) - known)
            if unknown:
                raise GarageError(f"action_space: unknown key(s) {unknown} for a discrete action space; use {sorted(known)}")
            # Keys left out take the garage's own defaults (deepracer_common.action_space).
            return discrete_from_garage(**{key: value for key, value in spec.items() if key != "type"})
        if kind == "continuous":
            if isinstance(spec.get("steering_angle"), dict) or isinstance(spec.get("speed"), dict):
                return action_space_from_json({"steering_angle": spec.get("steering_angle"), "speed": spec.get("speed")}, "continuous")
            known = {"type", "min_steering_angle", "max_steering_angle", "min_speed", "max_speed"}
            unknown = sorted(set(spec) - known)
            if unknown:
                raise GarageError(f"action_space: unknown key(s) {unknown} for a continuous action space; use {sorted(known)}")
            high = spec.get("max_steering_angle", 30.0)
            low = spec.get("min_steering_angle", -high if isinstance(high, (int, float)) else None)
            return ContinuousActionSpace(low, high, spec.get("min_speed", 0.5), spec.get("max_speed", 1.0))
        raise GarageError(f"action_space.type must be 'discrete' or 'continuous', got {kind!r}")
    except ActionSpaceError as error:
        raise GarageError(f"action_space: {error}") from None


@dataclass
class Vehicle:
    """One garage entry; `metadata()` is what goes into model/model_metadata.json."""

    action_space: ActionSpace
    sensors: list[str] = field(default_factory=lambda: ["FRONT_FACING_CAMERA"])
    neural_network: str = SHALLOW
    training_algorithm: str = "clipped_ppo"
    lidar_config: dict | None = None

    def __post_init__(self) -> None:
        self.sensors = validate_garage_sensors(list(self.sensors))
        self.neural_network = network_name(self.neural_network)
        if self.training_algorithm != "clipped_ppo":
            raise GarageError(
                f"training_algorithm {self.training_algorithm!r} is not available: this trainer implements "
                "clipped_ppo (discrete and continuous); SAC is not implemented"
            )
        if "DISCRETIZED_SECTOR_LIDAR" in self.sensors:
            try:
                self.lidar_config = validate_lidar_config(self.lidar_config)
            except ModelMetadataError as error:
                raise GarageError(str(error)) from None
        elif self.lidar_config is not None:
            raise GarageError("lidar_config only applies to the DISCRETIZED_SECTOR_LIDAR sensor")

    @classmethod
    def from_dict(cls, data: Any, where: str = "vehicle") -> "Vehicle":
        if not isinstance(data, dict):
            raise GarageError(f"{where} must be an object, got {data!r}")
        known = {"sensors", "sensor", "neural_network", "action_space", "training_algorithm", "lidar_config"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise GarageError(f"{where}: unknown key(s) {unknown}; known keys: {sorted(known)}")
        sensors = data.get("sensors", data.get("sensor", ["FRONT_FACING_CAMERA"]))
        if isinstance(sensors, str):
            sensors = [sensors]
        try:
            return cls(
                action_space=action_space_from_spec(data.get("action_space", WORKSHOP_ACTION_SPACE)),
                sensors=sensors,
                neural_network=data.get("neural_network", SHALLOW),
                training_algorithm=data.get("training_algorithm", "clipped_ppo"),
                lidar_config=data.get("lidar_config"),
            )
        except GarageError as error:
            raise GarageError(f"{where}: {error}") from None

    @classmethod
    def from_metadata(cls, metadata: ModelMetadata) -> "Vehicle":
        sensors = ["FRONT_FACING_CAMERA" if s in ("LEFT_CAMERA", "observation") else s for s in metadata.sensor]
        return cls(
            action_space=metadata.action_space,
            sensors=sensors,
            neural_network=metadata.neural_network,
            training_algorithm=metadata.training_algorithm,
            lidar_config=metadata.lidar_config,
        )

    def metadata(self) -> ModelMetadata:
        return ModelMetadata(
            action_space=self.action_space,
            sensor=list(self.sensors),
            neural_network=self.neural_network,
            training_algorithm=self.training_algorithm,
            lidar_config=self.lidar_config,
        )

    def to_dict(self) -> dict:
        data = {
            "sensors": list(self.sensors),
            "neural_network": self.neural_network,
            "action_space": self.action_space.to_json(),
            "training_algorithm": self.training_algorithm,
        }
        if self.lidar_config is not None:
            data["lidar_config"] = dict(self.lidar_config)
        return data

    def describe(self) -> list[str]:
        """Human-readable lines, as the garage page shows the vehicle."""
        lines = [
            f"sensors: {', '.join(self.sensors)}",
            f"neural network: {NETWORK_LABELS[self.neural_network]} ({self.neural_network})",
        ]
        space = self.action_space
        if space.type == "discrete":
            lines.append(f"action space: discrete, {space.n} actions")
            for index, action in enumerate(space.actions):
                lines.append(f"  {index:>2}: steering {action.steering_angle:>6.1f}°  speed {action.speed:.2f} m/s")
        else:
            lines.append(
                f"action space: continuous, steering [{space.steering_low:g}, {space.steering_high:g}]°, "
                f"speed [{space.speed_low:g}, {space.speed_high:g}] m/s"
            )
        return lines
