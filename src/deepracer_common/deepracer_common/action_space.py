"""DeepRacer action spaces: the one definition every package uses.

An action space is what `model_metadata.json` calls `action_space`: either a
list of discrete (steering_angle deg, speed m/s) pairs, or continuous ranges.
The simulator turns an action into a steering/speed command with it, the agent
sizes its policy head with it, and the control node maps it to servo ratios.
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Any, Sequence, Union

# Limits of the DeepRacer console's garage (and of the simulator's actuator clip).
MAX_STEERING_ANGLE_DEG = 30.0
MIN_SPEED_MS = 0.1
MAX_SPEED_MS = 4.0
STEERING_GRANULARITIES = (3, 5, 7)
SPEED_GRANULARITIES = (1, 2, 3)


class ActionSpaceError(ValueError):
    """An action space, or an action for it, is not valid."""


@dataclass(frozen=True)
class DiscreteAction:
    steering_angle: float  # degrees, positive = left
    speed: float  # m/s


def _finite_number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ActionSpaceError(f"{where} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ActionSpaceError(f"{where} must be finite, got {value!r}")
    return value


class DiscreteActionSpace:
    """A numbered list of (steering angle, speed) actions; the index is the position."""

    type = "discrete"

    def __init__(self, actions: Sequence[DiscreteAction]):
        if not actions:
            raise ActionSpaceError("a discrete action space needs at least one action")
        self.actions = tuple(actions)

    @property
    def n(self) -> int:
        return len(self.actions)

    @property
    def max_steering_angle(self) -> float:
        return max(abs(a.steering_angle) for a in self.actions)

    @property
    def max_speed(self) -> float:
        return max(abs(a.speed) for a in self.actions)

    def command(self, action: Any) -> tuple[float, float]:
        """(steering_angle deg, speed m/s) for an action index."""
        try:
            index = operator.index(action)  # accepts numpy integers and 0-d integer arrays
        except TypeError:
            index = None
        if index is None or isinstance(action, bool):
            raise ActionSpaceError(
                f"a discrete action must be an integer index in [0, {self.n - 1}], got {action!r}"
            )
        if not 0 <= index < self.n:
            raise ActionSpaceError(f"action index {index} is out of range [0, {self.n - 1}]")
        chosen = self.actions[index]
        return chosen.steering_angle, chosen.speed

    def to_json(self) -> list[dict]:
        return [
            {"steering_angle": a.steering_angle, "speed": a.speed, "index": i}
            for i, a in enumerate(self.actions)
        ]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DiscreteActionSpace) and self.actions == other.actions

    def __repr__(self) -> str:
        return f"DiscreteActionSpace({self.n} actions)"


class ContinuousActionSpace:
    """Steering and speed ranges; the policy acts in [-1, 1]² and is rescaled linearly."""

    type = "continuous"

    def __init__(self, steering_low: float, steering_high: float, speed_low: float, speed_high: float):
        self.steering_low = _finite_number(steering_low, "steering_angle.low")
        self.steering_high = _finite_number(steering_high, "steering_angle.high")
        self.speed_low = _finite_number(speed_low, "speed.low")
        self.speed_high = _finite_number(speed_high, "speed.high")
        if not self.steering_high > self.steering_low:
            raise ActionSpaceError(
                f"steering_angle.high ({self.steering_high}) must be greater than low ({self.steering_low})"
            )
        if not self.speed_high > self.speed_low:
            raise ActionSpaceError(f"speed.high ({self.speed_high}) must be greater than low ({self.speed_low})")
        for name, value in (("steering_angle.low", self.steering_low), ("steering_angle.high", self.steering_high)):
            if abs(value) > MAX_STEERING_ANGLE_DEG:
                raise ActionSpaceError(f"{name} {value}° is outside ±{MAX_STEERING_ANGLE_DEG:g}°")
        for name, value in (("speed.low", self.speed_low), ("speed.high", self.speed_high)):
            if not MIN_SPEED_MS <= value <= MAX_SPEED_MS:
                raise ActionSpaceError(f"{name} {value} m/s is outside [{MIN_SPEED_MS}, {MAX_SPEED_MS}] m/s")

    @property
    def max_steering_angle(self) -> float:
        # The car's navigation node uses `high`, not the largest magnitude (docs/car-interfaces.md#relative-steering).
        return self.steering_high

    @property
    def max_speed(self) -> float:
        return self.speed_high

    def command(self, action: Any) -> tuple[float, float]:
        """(steering_angle deg, speed m/s) for a normalised action in [-1, 1]²; values outside are clipped."""
        try:
            steer_norm, speed_norm = (float(v) for v in action)
        except (TypeError, ValueError):
            raise ActionSpaceError(f"a continuous action must be two numbers in [-1, 1], got {action!r}") from None
        if not (math.isfinite(steer_norm) and math.isfinite(speed_norm)):
            raise ActionSpaceError(f"a continuous action must be finite, got {action!r}")
        steer_norm = min(1.0, max(-1.0, steer_norm))
        speed_norm = min(1.0, max(-1.0, speed_norm))
        steering = (steer_norm + 1.0) / 2.0 * (self.steering_high - self.steering_low) + self.steering_low
        speed = (speed_norm + 1.0) / 2.0 * (self.speed_high - self.speed_low) + self.speed_low
        return steering, speed

    def to_json(self) -> dict:
        return {
            "steering_angle": {"low": self.steering_low, "high": self.steering_high},
            "speed": {"low": self.speed_low, "high": self.speed_high},
        }

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ContinuousActionSpace) and self.to_json() == other.to_json()

    def __repr__(self) -> str:
        return (
            f"ContinuousActionSpace(steering [{self.steering_low:g}, {self.steering_high:g}]°, "
            f"speed [{self.speed_low:g}, {self.speed_high:g}] m/s)"
        )


ActionSpace = Union[DiscreteActionSpace, ContinuousActionSpace]


def discrete_from_garage(
    max_steering_angle: float = 30.0,
    steering_granularity: int = 5,
    max_speed: float = 1.0,
    speed_granularity: int = 2,
) -> DiscreteActionSpace:
    """The console garage's discrete action space.

    Steering angles are evenly spread over [-max, +max] and speeds over
    (0, max]; actions are ordered by steering angle (right to left), then speed.
    30° / 5 and 1 m/s / 3 give 15 actions: steering -30, -15, 0, 15, 30 and
    speeds 0.33, 0.67, 1.0.
    """
    max_steering_angle = _finite_number(max_steering_angle, "maximum steering angle")
    max_speed = _finite_number(max_speed, "maximum speed")
    if not 0 < max_steering_angle <= MAX_STEERING_ANGLE_DEG:
        raise ActionSpaceError(
            f"maximum steering angle must be in (0, {MAX_STEERING_ANGLE_DEG:g}]°, got {max_steering_angle:g}"
        )
    if steering_granularity not in STEERING_GRANULARITIES:
        raise ActionSpaceError(
            f"steering granularity must be one of {STEERING_GRANULARITIES}, got {steering_granularity!r}"
        )
    if not MIN_SPEED_MS <= max_speed <= MAX_SPEED_MS:
        raise ActionSpaceError(f"maximum speed must be in [{MIN_SPEED_MS}, {MAX_SPEED_MS}] m/s, got {max_speed:g}")
    if speed_granularity not in SPEED_GRANULARITIES:
        raise ActionSpaceError(f"speed granularity must be one of {SPEED_GRANULARITIES}, got {speed_granularity!r}")
    half = steering_granularity // 2
    steering_angles = [round(max_steering_angle * k / half, 2) for k in range(-half, half + 1)]
    speeds = [round(max_speed * (k + 1) / speed_granularity, 2) for k in range(speed_granularity)]
    return DiscreteActionSpace(
        [DiscreteAction(float(steer), float(speed)) for steer in steering_angles for speed in speeds]
    )


def action_space_from_json(value: Any, action_space_type: str | None = None) -> ActionSpace:
    """Parse the `action_space` value of a model_metadata.json (list = discrete, dict = continuous)."""
    if action_space_type not in (None, "discrete", "continuous"):
        raise ActionSpaceError(f"action_space_type must be 'discrete' or 'continuous', got {action_space_type!r}")
    if isinstance(value, list):
        if action_space_type == "continuous":
            raise ActionSpaceError("action_space_type is 'continuous' but action_space is a list of discrete actions")
        actions = []
        for position, entry in enumerate(value):
            where = f"action_space[{position}]"
            if not isinstance(entry, dict) or "steering_angle" not in entry or "speed" not in entry:
                raise ActionSpaceError(f"{where} must be an object with 'steering_angle' and 'speed', got {entry!r}")
            steering = _finite_number(entry["steering_angle"], f"{where}.steering_angle")
            speed = _finite_number(entry["speed"], f"{where}.speed")
            if abs(steering) > MAX_STEERING_ANGLE_DEG:
                raise ActionSpaceError(f"{where}.steering_angle {steering:g}° is outside ±{MAX_STEERING_ANGLE_DEG:g}°")
            if not 0 < speed <= MAX_SPEED_MS:
                raise ActionSpaceError(f"{where}.speed {speed:g} m/s is outside (0, {MAX_SPEED_MS:g}] m/s")
            actions.append(DiscreteAction(steering, speed))
        return DiscreteActionSpace(actions)
    if isinstance(value, dict):
        if action_space_type == "discrete":
            raise ActionSpaceError("action_space_type is 'discrete' but action_space is a continuous range object")
        try:
            steering, speed = value["steering_angle"], value["speed"]
            return ContinuousActionSpace(steering["low"], steering["high"], speed["low"], speed["high"])
        except (KeyError, TypeError):
            raise ActionSpaceError(
                "a continuous action_space needs steering_angle.low/high and speed.low/high, "
                f"got {value!r}"
            ) from None
    raise ActionSpaceError(f"action_space must be a list (discrete) or an object (continuous), got {value!r}")
