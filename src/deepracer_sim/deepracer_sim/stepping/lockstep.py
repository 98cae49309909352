"""The lock-step protocol: one simulator step per action, driven by two nodes' answers.

The simulator publishes SimStep k and waits. It steps when it has both the AgentAction answering k
(from agent_node) and control_node's servo message for that action. The two come from different
nodes, so they arrive in either order:
- action first: the next servo message completes the step;
- servo first: a message with throttle > 0 that came while k was waiting is kept as a candidate and
  completes the step when the action arrives, if its angle is the one the car's navigation mapping
  gives for that action (else it answered an earlier step, after a resend, and the action waits for
  its own);
- a zero-throttle message with no action pending (a watchdog, a stop) never becomes a step.
If nothing answers within `resend_after_s`, SimStep k is sent again (agent_node answers a repeat with
the action it already chose, and control_node maps it again). While paused nothing steps and nothing
is resent; answers that arrive are kept for when the pause ends.

`Lockstep` holds only this decision: the caller applies the servo message to its CommandSource, feeds
the events in, and steps with the action a `Decision` names.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

# Servo angles are float32 on the wire: this is far above their rounding and far below a steering step.
ANGLE_TOLERANCE = 1e-4


@dataclass(frozen=True)
class Decision:
    """What the caller does after an event."""

    step_with: Any = None       # step now with this action (None: do not step)
    stop_ignored: bool = False  # a zero-throttle servo message came with no action pending: worth a warning


class Lockstep:
    """The protocol's state for the SimStep waiting for its answer.

    servo_angle_for(action): the servo angle control_node sends for an action (CommandSource.servo_angle_for).
    clock: seconds, monotonic (a fake one in tests).
    """

    def __init__(self, servo_angle_for: Callable[[Any], float], resend_after_s: float,
                 clock: Callable[[], float] = time.monotonic):
        if not resend_after_s > 0:
            raise ValueError(f"resend_after_s must be positive, got {resend_after_s!r}")
        self._servo_angle_for = servo_angle_for
        self.resend_after_s = float(resend_after_s)
        self._clock = clock
        self.step: int | None = None  # the SimStep waiting for its answer
        self.paused = False
        self._pending: Any = None     # the action answering `step`
        self._servo_ready = False     # a servo message for `step` has arrived
        self._servo_angle = 0.0       # angle of the latest servo message
        self._sent_at = 0.0

    @property
    def waiting(self) -> bool:
        return self.step is not None

    def sent(self, step: int, expects_answer: bool = True) -> None:
        """SimStep `step` went out. One that ends an episode expects no answer: the next episode's first
        step follows at once."""
        self.step = int(step) if expects_answer else None
        self._pending = None
        self._servo_ready = False
        self._sent_at = self._clock()

    def on_action(self, step: int, action: Any) -> Decision:
        """An AgentAction answering SimStep `step`. Answers to other steps (a SimStep already resent or
        replaced) and repeats of an answer already in hand are ignored."""
        if self.step is None or step != self.step or self._pending is not None:
            return Decision()
        self._pending = action
        if self._servo_ready and abs(self._servo_angle - self._servo_angle_for(action)) >= ANGLE_TOLERANCE:
            self._servo_ready = False  # an earlier step's servo message: wait for this action's own
        if self._servo_ready and not self.paused:
            return self._step()
        return Decision()

    def on_servo(self, angle: float, throttle: float) -> Decision:
        """A servo message, after invalid channels were dropped (the values the car now follows)."""
        self._servo_angle = float(angle)
        if self.step is None:
            return Decision()
        if self._pending is not None:
            if self.paused:
                self._servo_ready = True
                return Decision()
            return self._step()
        if throttle > 0.0:
            self._servo_ready = True  # it may have overtaken its action
            return Decision()
        return Decision(stop_ignored=True)

    def set_paused(self, paused: bool) -> Decision:
        self.paused = bool(paused)
        if not self.paused and self._pending is not None and self._servo_ready:
            return self._step()
        return Decision()

    def resend_due(self) -> bool:
        """Whether to send the waiting SimStep again now; True also restarts the resend period."""
        if self.step is None or self.paused or self._clock() - self._sent_at < self.resend_after_s:
            return False
        self._sent_at = self._clock()
        return True

    def _step(self) -> Decision:
        action = self._pending
        self.step = None
        self._pending = None
        self._servo_ready = False
        return Decision(step_with=action)
