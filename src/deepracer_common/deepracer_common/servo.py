"""The car's servo interface: what the ratios of a ServoCtrlMsg (angle, throttle in [-1, 1]) mean.

The car's navigation node turns a speed into a throttle ratio through one curve, the parabola through
(0, 0), (max/2, 0.8) and (max, 1.0), where `max` is the model's top speed (docs/car-interfaces.md).
Control uses the curve forwards (speed -> throttle); a simulator driven by servo messages, as the real
car's motor is, uses it backwards (throttle -> speed). Both directions live here so they cannot drift.
"""
from __future__ import annotations

# Throttle ratio at half and at full model speed (the car's default speed scales).
SPEED_SCALE_AT_MAX = 1.0
SPEED_SCALE_AT_HALF = 0.8


def clamp(value: float, low: float = -1.0, high: float = 1.0) -> float:
    return min(high, max(low, value))


def _curve(max_speed: float) -> tuple[float, float]:
    """(a, b) of throttle = a·speed² + b·speed."""
    a = (2.0 * SPEED_SCALE_AT_MAX - 4.0 * SPEED_SCALE_AT_HALF) / max_speed**2
    b = (4.0 * SPEED_SCALE_AT_HALF - SPEED_SCALE_AT_MAX) / max_speed
    return a, b


def throttle_for_speed(speed: float, max_speed: float) -> float:
    """The throttle ratio the car's speed curve gives a speed, clamped to [-1, 1] (before any throttle scale)."""
    a, b = _curve(max_speed)
    return clamp(a * speed * speed + b * speed)


def servo_to_command(angle: float, throttle: float, max_steering_angle: float, max_speed: float) -> tuple[float, float]:
    """Invert the servo mapping: the (steering deg, speed m/s) a ServoCtrlMsg asks of a car.

    `max_steering_angle` is the steering at full lock; throttle 1.0 drives at `max_speed`, and the speed
    curve is inverted on its rising branch. Throttle 0 or less means no drive (speed 0).
    """
    steering = clamp(angle) * max_steering_angle
    throttle = clamp(throttle)
    if throttle <= 0.0:
        return steering, 0.0
    if throttle >= 1.0:
        # The curve peaks at 1.008 near 92 % of max speed and is clamped to 1, so every speed from
        # about 83 % of max up drives at full throttle; full throttle means the model's top speed.
        return steering, max_speed
    a, b = _curve(max_speed)
    # a·s² + b·s = throttle, smaller root (the curve's rising branch from 0 to max_speed).
    discriminant = max(0.0, b * b + 4.0 * a * throttle)
    speed = (-b + discriminant**0.5) / (2.0 * a)
    return steering, min(speed, max_speed)
