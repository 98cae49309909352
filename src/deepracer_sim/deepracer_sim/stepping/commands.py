"""Which command a step reports and which one drives the car, for a car driven by servo messages.

The front ends drive the car as the real car's servo does: /ctrl_pkg/servo_msg (angle, throttle in
[-1, 1]) is turned back into a steering angle and a speed with the car's navigation mapping inverted
(deepracer_common.servo.servo_to_command); throttle 0 or less means no drive, and the car brakes to rest.
The reward params report the *action's* exact command when an AgentAction answers the step, as the
simulator's params do, so the servo's float32 round trip never reaches a reward; without one they report
the servo's command.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from deepracer_common.action_space import ActionSpaceError
from deepracer_common.servo import clamp, servo_to_command

# An agent's action as the AgentAction message carries it: (action index, continuous values).
Action = tuple[int, Sequence[float]]


@dataclass(frozen=True)
class StepCommand:
    """What one step is given: the reported command (params, sim-trace) and the drive command (wheels)."""

    steering: float                 # degrees, reported
    speed: float                    # m/s, reported
    action_index: int               # the discrete action's index, -1 for continuous actions or none
    drive: tuple[float, float]      # (steering deg, speed m/s) the wheels obey; speed 0 = brake to rest
    error: str | None = None        # why the action could not be used (the servo's command was reported)

    @property
    def reported(self) -> tuple[float, float, int]:
        return self.steering, self.speed, self.action_index


class CommandSource:
    """The servo state and the action space a front end steps with.

    servo_max_steering_angle / servo_max_speed: steering at servo angle ±1 and speed at throttle 1;
    0 = the action space's largest steering angle and top speed (what the car's navigation node maps to
    full lock and full throttle).
    """

    def __init__(self, action_space, servo_max_steering_angle: float = 0.0, servo_max_speed: float = 0.0):
        self._servo_limits = (float(servo_max_steering_angle), float(servo_max_speed))
        self.servo = (0.0, 0.0)  # latest valid (angle, throttle); the car starts at rest
        self._action: Action | None = None
        self.use_action_space(action_space)

    def use_action_space(self, action_space) -> None:
        """Switch to another model's action space; the servo state stays, a pending action is dropped."""
        self.actions = action_space
        self.max_steer = self._servo_limits[0] or float(action_space.max_steering_angle)
        self.max_speed = self._servo_limits[1] or float(action_space.max_speed)
        self._action = None

    # ------------------------------------------------------------------ servo
    def set_servo(self, angle: float, throttle: float) -> list[str]:
        """Take a servo message. Like the car's servo node, a channel outside [-1, 1] (or not finite) is
        ignored and named in the returned list; the other channel still counts."""
        current_angle, current_throttle = self.servo
        bad = []
        if math.isfinite(angle) and -1.0 <= angle <= 1.0:
            current_angle = float(angle)
        else:
            bad.append(f"angle {angle}")
        if math.isfinite(throttle) and -1.0 <= throttle <= 1.0:
            current_throttle = float(throttle)
        else:
            bad.append(f"throttle {throttle}")
        self.servo = (current_angle, current_throttle)
        return bad

    def servo_command(self) -> tuple[float, float]:
        """(steering deg, speed m/s) the servo asks of the car; speed 0 when the throttle is 0 or less."""
        return servo_to_command(self.servo[0], self.servo[1], self.max_steer, self.max_speed)

    # ------------------------------------------------------------------ actions
    def set_action(self, action_index: int, values: Sequence[float]) -> None:
        """Keep the newest action for the next step (realtime stepping: the action since the last step)."""
        self._action = (int(action_index), [float(v) for v in values])

    def reported_command(self, action: Action) -> tuple[float, float, int]:
        """(steering deg, speed m/s, index) of an action; ActionSpaceError when it does not fit."""
        index, values = action
        if self.actions.type == "discrete":
            steering, speed = self.actions.command(int(index))
            return steering, speed, int(index)
        steering, speed = self.actions.command([float(v) for v in values])
        return steering, speed, -1

    def take_step_command(self, action: Action | None = None) -> StepCommand:
        """The next step's command: `action`'s, else the pending one from set_action (which is consumed),
        else the servo's. An action that does not fit the action space reports the servo's command and says
        why in `error`. The wheels always obey the servo."""
        if action is None:
            action, self._action = self._action, None
        drive = self.servo_command()
        if action is not None:
            try:
                return StepCommand(*self.reported_command(action), drive=drive)
            except ActionSpaceError as error:
                return StepCommand(*drive, -1, drive=drive,
                                   error=f"action {action[0]} does not fit the action space ({error}); "
                                         "reporting the servo's command")
        return StepCommand(*drive, -1, drive=drive)

    def servo_angle_for(self, action: Action) -> float:
        """The servo angle control_node sends for `action`: the car's navigation mapping gives angle = steering /
        the model's largest steering angle (the throttle depends on the throttle scale, which only control_node
        knows, so the angle is what identifies the answer)."""
        try:
            steering = self.reported_command(action)[0]
        except ActionSpaceError:
            steering = self.servo_command()[0]
        return clamp(steering / self.actions.max_steering_angle)
