"""The lock-step protocol (deepracer_sim.stepping.lockstep), driven with plain values and a fake clock.

Actions are (index, values) as the AgentAction message carries them; the servo angles are the ones
control_node sends for them (the car's navigation mapping), so the protocol is tested with the very
matching rule sim_node uses.
"""
from __future__ import annotations

import pytest

from deepracer_common.race import workshop_action_space
from deepracer_control.navigation import NavigationMapper
from deepracer_sim.stepping.commands import CommandSource
from deepracer_sim.stepping.lockstep import Decision, Lockstep

ACTIONS = workshop_action_space()
MAPPER = NavigationMapper(ACTIONS)
LEFT, STRAIGHT, RIGHT = (0, []), (7, []), (14, [])  # steering -30°, 0°, +30° in the workshop space
assert ACTIONS.command(0)[0] != ACTIONS.command(7)[0] != ACTIONS.command(14)[0]


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def servo_for(action):
    """control_node's servo message (angle, throttle) for an action, at throttle scale 1."""
    servo = MAPPER.servo_for_action(action[0], throttle_scale=1.0)
    return servo.angle, servo.throttle


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def protocol(clock):
    return Lockstep(CommandSource(ACTIONS).servo_angle_for, resend_after_s=1.0, clock=clock)


NOTHING = Decision()


def test_action_then_servo_steps_once_on_the_servo(protocol):
    protocol.sent(5)
    assert protocol.waiting and protocol.step == 5
    assert protocol.on_action(5, STRAIGHT) == NOTHING
    assert protocol.on_servo(*servo_for(STRAIGHT)) == Decision(step_with=STRAIGHT)
    assert not protocol.waiting
    # Further messages until the next SimStep do nothing.
    assert protocol.on_servo(*servo_for(STRAIGHT)) == NOTHING
    assert protocol.on_action(5, STRAIGHT) == NOTHING


def test_a_servo_message_that_overtook_its_action_completes_the_step_when_the_action_arrives(protocol):
    protocol.sent(8)
    assert protocol.on_servo(*servo_for(LEFT)) == NOTHING
    assert protocol.on_action(8, LEFT) == Decision(step_with=LEFT)
    assert not protocol.waiting


def test_an_earlier_steps_servo_message_does_not_answer_another_action(protocol):
    protocol.sent(3)
    # The servo answering a previous action (it arrived after the resend of step 3) turns left ...
    assert protocol.on_servo(*servo_for(LEFT)) == NOTHING
    # ... but step 3's action goes straight: wait for its own servo message.
    assert protocol.on_action(3, STRAIGHT) == NOTHING
    assert protocol.waiting
    assert protocol.on_servo(*servo_for(STRAIGHT)) == Decision(step_with=STRAIGHT)


def test_the_latest_servo_angle_is_the_one_matched(protocol):
    protocol.sent(3)
    protocol.on_servo(*servo_for(LEFT))
    # A later zero-throttle message is no step, but the steering it sets is the one the car follows now.
    assert protocol.on_servo(servo_for(RIGHT)[0], 0.0) == Decision(stop_ignored=True)
    assert protocol.on_action(3, LEFT) == NOTHING
    protocol.sent(4)
    protocol.on_servo(*servo_for(LEFT))
    protocol.on_servo(servo_for(RIGHT)[0], 0.0)
    assert protocol.on_action(4, RIGHT) == Decision(step_with=RIGHT)


def test_a_zero_throttle_message_with_no_action_pending_never_becomes_a_step(protocol):
    protocol.sent(9)
    for _ in range(3):
        assert protocol.on_servo(0.0, 0.0) == Decision(stop_ignored=True)
    assert protocol.waiting
    # Nor does it count as the candidate answer: the action still waits for control_node's message.
    assert protocol.on_action(9, (7, [])) == NOTHING
    assert protocol.on_servo(*servo_for(STRAIGHT)) == Decision(step_with=STRAIGHT)


def test_with_an_action_pending_the_next_servo_message_is_its_answer(protocol):
    protocol.sent(2)
    protocol.on_action(2, RIGHT)
    assert protocol.on_servo(*servo_for(RIGHT)) == Decision(step_with=RIGHT)


def test_answers_to_other_steps_and_repeats_are_ignored(protocol):
    protocol.sent(10)
    assert protocol.on_action(9, LEFT) == NOTHING     # a stale answer to a step already replaced
    assert protocol.on_action(11, LEFT) == NOTHING    # not sent yet
    assert protocol.on_action(10, STRAIGHT) == NOTHING
    assert protocol.on_action(10, LEFT) == NOTHING    # a repeat (after a resend) keeps the first answer
    assert protocol.on_servo(*servo_for(STRAIGHT)) == Decision(step_with=STRAIGHT)


def test_nothing_is_waited_for_before_the_first_simstep_or_after_an_episode_end(protocol):
    assert not protocol.waiting
    assert protocol.on_servo(*servo_for(LEFT)) == NOTHING
    assert protocol.on_action(0, LEFT) == NOTHING
    assert protocol.on_servo(0.0, 0.0) == NOTHING  # not waiting: no warning either
    protocol.sent(4, expects_answer=False)       # the step that ended an episode
    assert not protocol.waiting and protocol.on_action(4, LEFT) == NOTHING


def test_a_new_simstep_forgets_the_answers_to_the_old_one(protocol):
    protocol.sent(1)
    protocol.on_servo(*servo_for(LEFT))         # candidate for step 1
    protocol.sent(2)                            # e.g. a reset request published a new episode's first step
    protocol.on_action(2, LEFT)
    assert protocol.waiting, "step 1's servo message is not step 2's answer"
    assert protocol.on_servo(*servo_for(LEFT)) == Decision(step_with=LEFT)
    protocol.sent(3)
    protocol.on_action(3, STRAIGHT)             # pending action for step 3 ...
    protocol.sent(4)                            # ... replaced before its servo came
    assert protocol.on_servo(*servo_for(STRAIGHT)) == NOTHING
    assert protocol.waiting


def test_resend_after_the_period_without_an_answer(protocol, clock):
    protocol.sent(6)
    clock.now += 0.99
    assert not protocol.resend_due()
    clock.now += 0.01
    assert protocol.resend_due()
    assert not protocol.resend_due(), "a resend restarts the period"
    clock.now += 1.0
    assert protocol.resend_due()
    # An answered step is not resent.
    protocol.on_action(6, STRAIGHT)
    protocol.on_servo(*servo_for(STRAIGHT))
    clock.now += 5.0
    assert not protocol.resend_due()


def test_pause_holds_the_answer_and_the_resends_until_it_ends(protocol, clock):
    protocol.sent(7)
    assert protocol.set_paused(True) == NOTHING
    protocol.on_action(7, RIGHT)
    assert protocol.on_servo(*servo_for(RIGHT)) == NOTHING, "paused: no step"
    clock.now += 10.0
    assert not protocol.resend_due(), "paused: no resend"
    assert protocol.set_paused(False) == Decision(step_with=RIGHT)
    assert not protocol.waiting


def test_pause_with_the_servo_first(protocol):
    protocol.sent(7)
    protocol.set_paused(True)
    protocol.on_servo(*servo_for(LEFT))
    assert protocol.on_action(7, LEFT) == NOTHING
    assert protocol.set_paused(False) == Decision(step_with=LEFT)


def test_unpausing_without_a_complete_answer_does_not_step(protocol, clock):
    protocol.sent(7)
    protocol.set_paused(True)
    protocol.on_action(7, LEFT)
    assert protocol.set_paused(False) == NOTHING
    clock.now += 1.0
    assert protocol.resend_due()
    assert protocol.on_servo(*servo_for(LEFT)) == Decision(step_with=LEFT)


def test_resend_period_must_be_positive():
    with pytest.raises(ValueError, match="resend_after_s must be positive"):
        Lockstep(lambda action: 0.0, resend_after_s=0.0)
