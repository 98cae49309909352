"""Action → servo ratios, exactly as the physical car's navigation node maps them
(docs/car-interfaces.md#navigation-mapping).

Steering is relative: the action space's largest steering angle maps to full
lock (±1). Speed goes through the car's speed curve, the parabola through
(0, 0), (max/2, 0.8) and (max, 1.0), and is then scaled by the throttle scale
the user sets on the car (its "maximum speed" percentage).
"""
from __future__ import annotations

from dataclasses import dataclass

from deepracer_common.action_space import ActionSpace
from deepracer_common.servo import clamp, throttle_for_speed


@dataclass(frozen=True)
class ServoCommand:
    angle: float  # [-1, 1], positive = left
    throttle: float  # [-1, 1], positive = forward


class NavigationMapper:
    """Maps a model's actions to ServoCtrlMsg ratios for one action space."""

    def __init__(self, action_space: ActionSpace):
        self.action_space = action_space
        self.max_steer = action_space.max_steering_angle
        self.max_speed = action_space.max_speed

    def map_speed(self, speed: float) -> float:
        return throttle_for_speed(speed, self.max_speed)

    def servo_for(self, steering_angle: float, speed: float, throttle_scale: float) -> ServoCommand:
        """Servo ratios for a (steering deg, speed m/s) command, clamped to [-1, 1]."""
        return ServoCommand(
            angle=clamp(steering_angle / self.max_steer),
            throttle=clamp(throttle_scale * self.map_speed(speed)),
        )

    def servo_for_action(self, action, throttle_scale: float) -> ServoCommand:
        """Servo ratios for an action index (discrete) or a normalised [-1, 1]² action (continuous)."""
        steering, speed = self.action_space.command(action)
        return self.servo_for(steering, speed, throttle_scale)


__all__ = ["NavigationMapper", "ServoCommand"]
