"""Action → servo ratios, exactly as the physical car's navigation node maps them (spec car §3.2).

Steering is relative: the action space's largest steering angle maps to full
lock (±1). Speed goes through the car's speed curve, the parabola through
(0, 0), (max/2, 0.8) and (max, 1.0), and is then scaled by the throttle scale
the user sets on the car (its "maximum speed" percentage).
"""
from __future__ import annotations

from dataclasses import dataclass

from deepracer_control.action_space import ActionSpace

# Servo ratio at half and at full model speed (the car's DEFAULT_SPEED_SCALES).
SPEED_SCALE_AT_MAX = 1.0
SPEED_SCALE_AT_HALF = 0.8


@dataclass(frozen=True)
class ServoCommand:
    angle: float  # [-1, 1], positive = left
    throttle: float  # [-1, 1], positive = forward


def _clamp(value: float, low: float = -1.0, high: float = 1.0) -> float:
    return min(high, max(low, value))


class NavigationMapper:
    """Maps a model's actions to ServoCtrlMsg ratios for one action space."""

    def __init__(self, action_space: ActionSpace):
        self.action_space = action_space
        self.max_steer = action_space.max_steering_angle
        max_speed = action_space.max_speed
        self.speed_a = (2.0 * SPEED_SCALE_AT_MAX - 4.0 * SPEED_SCALE_AT_HALF) / max_speed**2
        self.speed_b = (4.0 * SPEED_SCALE_AT_HALF - SPEED_SCALE_AT_MAX) / max_speed

    def map_speed(self, speed: float) -> float:
        return _clamp(self.speed_a * speed * speed + self.speed_b * speed)

    def servo_for(self, steering_angle: float, speed: float, throttle_scale: float) -> ServoCommand:
        """Servo ratios for a (steering deg, speed m/s) command, clamped to [-1, 1]."""
        return ServoCommand(
            angle=_clamp(steering_angle / self.max_steer),
            throttle=_clamp(throttle_scale * self.map_speed(speed)),
        )

    def servo_for_action(self, action, throttle_scale: float) -> ServoCommand:
        """Servo ratios for an action index (discrete) or a normalised [-1, 1]² action (continuous)."""
        steering, speed = self.action_space.command(action)
        return self.servo_for(steering, speed, throttle_scale)


def servo_to_command(angle: float, throttle: float, max_steering_angle: float, max_speed: float) -> tuple[float, float]:
    """Invert the servo mapping: the (steering deg, speed m/s) a ServoCtrlMsg asks of a car.

    Used by the simulator, which is driven by the same servo messages as the real
    car. `max_steering_angle` is the steering at full lock; throttle 1.0 drives at
    `max_speed`, and the speed curve is inverted on its rising branch.
    """
    steering = _clamp(angle) * max_steering_angle
    throttle = _clamp(throttle)
    if throttle <= 0.0:
        return steering, 0.0
    if throttle >= 1.0:
        # The curve peaks at 1.008 near 92 % of max speed and is clamped to 1, so every speed from
        # about 83 % of max up drives at full throttle; full throttle means the model's top speed.
        return steering, max_speed
    a = (2.0 * SPEED_SCALE_AT_MAX - 4.0 * SPEED_SCALE_AT_HALF) / max_speed**2
    b = (4.0 * SPEED_SCALE_AT_HALF - SPEED_SCALE_AT_MAX) / max_speed
    # a·s² + b·s = throttle, smaller root (the curve's rising branch from 0 to max_speed).
    discriminant = max(0.0, b * b + 4.0 * a * throttle)
    speed = (-b + discriminant**0.5) / (2.0 * a)
    return steering, min(speed, max_speed)


__all__ = ["NavigationMapper", "ServoCommand", "servo_to_command"]
