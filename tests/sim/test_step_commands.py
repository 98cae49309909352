"""The front ends' command rule (deepracer_sim.stepping.commands): the params report the action's exact command,
the wheels obey the servo, and the servo angle that answers an action is the car's navigation mapping's."""
from __future__ import annotations

import math

import numpy as np
import pytest

from deepracer_common.action_space import ActionSpaceError, ContinuousActionSpace, discrete_from_garage
from deepracer_common.race import workshop_action_space
from deepracer_control.navigation import NavigationMapper
from deepracer_sim.stepping.commands import CommandSource


def test_command_source_reports_the_action_and_drives_with_the_servo():
    """sim_node's rule: params carry the action's exact command, the wheels the servo's."""
    actions = workshop_action_space()
    source = CommandSource(actions)
    # No servo yet: the car is at rest and reports a zero command.
    first = source.take_step_command()
    assert first.reported == (0.0, 0.0, -1) and first.drive == (0.0, 0.0) and first.error is None
    # An action on the speed curve's unambiguous part (below ~0.83 of the top speed the servo
    # mapping inverts exactly).
    index = next(i for i in range(actions.n) if 0 < actions.command(i)[1] <= 0.8 * actions.max_speed
                 and actions.command(i)[0] != 0)
    steering, speed = actions.command(index)
    servo = NavigationMapper(actions).servo_for(steering, speed, throttle_scale=1.0)
    assert source.set_servo(servo.angle, servo.throttle) == []
    source.set_action(index, [])
    command = source.take_step_command()
    assert command.reported == (steering, speed, index)
    # The wheels obey the servo, which asks for the same command up to its round trip.
    assert command.drive == (pytest.approx(steering, abs=1e-5), pytest.approx(speed, abs=1e-4))
    # The action is consumed; the next step without one reports what the servo asks for.
    servo_steering, servo_speed, servo_index = source.take_step_command().reported
    assert servo_steering == pytest.approx(steering, abs=1e-5) and servo_speed == pytest.approx(speed, abs=1e-4)
    assert servo_index == -1
    # A bad channel is ignored (and named); the other one still counts.
    assert source.set_servo(float("nan"), 0.0) == ["angle nan"]
    assert source.servo == (pytest.approx(servo.angle), 0.0)
    assert source.servo_command()[1] == 0.0
    assert source.set_servo(1.5, -2.0) == ["angle 1.5", "throttle -2.0"]
    assert source.servo == (pytest.approx(servo.angle), 0.0)
    # An action that does not fit: an error for the caller, and the servo's command is reported instead.
    with pytest.raises(ActionSpaceError):
        source.reported_command((actions.n + 5, []))
    source.set_action(actions.n + 5, [])
    fallback = source.take_step_command()
    assert fallback.reported == (*source.servo_command(), -1)
    assert f"action {actions.n + 5} does not fit the action space" in fallback.error


def test_continuous_actions_report_their_rescaled_command_without_an_index():
    actions = ContinuousActionSpace(-20.0, 25.0, 0.5, 3.0)
    source = CommandSource(actions)
    command = source.take_step_command((7, [0.5, -0.5]))
    assert command.reported == (pytest.approx(13.75), pytest.approx(1.125), -1)
    assert command.drive == (0.0, 0.0)  # nobody drives yet: the wheels stop whatever the action says
    # Full servo lock is the action space's `high` steering (the navigation node's), full throttle its top speed.
    source.set_servo(1.0, 1.0)
    assert source.servo_command() == (25.0, 3.0)
    assert source.take_step_command((0, [math.nan, 0.0])).error is not None


def test_servo_limits_come_from_the_parameters_or_the_model():
    source = CommandSource(workshop_action_space(), servo_max_steering_angle=20.0)
    source.set_servo(-0.5, 1.0)
    assert source.servo_command() == (-10.0, 1.0)  # 20° at full lock; full throttle = the model's 1 m/s
    source.set_action(3, [])
    # Another model: the servo state stays, a pending action of the old model is dropped.
    source.use_action_space(discrete_from_garage(30.0, 3, 2.0, 2))
    assert source.servo == (-0.5, 1.0) and source.servo_command() == (-10.0, 2.0)
    assert source.take_step_command().action_index == -1


@pytest.mark.parametrize("actions", [workshop_action_space(), discrete_from_garage(25.0, 7, 3.5, 2)])
def test_the_servo_angle_that_answers_an_action_is_the_navigation_mappings(actions):
    # Even with the servo scaled differently, control_node's angle is steering / the model's largest angle.
    source = CommandSource(actions, servo_max_steering_angle=45.0)
    mapper = NavigationMapper(actions)
    for index in range(actions.n):
        expected = mapper.servo_for_action(index, throttle_scale=0.7).angle
        assert source.servo_angle_for((index, [])) == pytest.approx(expected, abs=1e-12)
    # Continuous: from the values.
    continuous = ContinuousActionSpace(-30.0, 30.0, 0.5, 2.0)
    values = np.array([0.25, 0.0])
    assert CommandSource(continuous).servo_angle_for((-1, values)) == pytest.approx(
        NavigationMapper(continuous).servo_for_action(values, 1.0).angle)
