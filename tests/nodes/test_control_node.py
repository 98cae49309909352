"""control_node in its own process: the car's navigation mapping, watchdog, services, bad input."""
from __future__ import annotations

import json
import math

import pytest
from std_msgs.msg import String
from std_srvs.srv import SetBool

from deepracer_common.action_space import ContinuousActionSpace, DiscreteAction, DiscreteActionSpace
from deepracer_common.model_metadata import ModelMetadata
from deepracer_common.ros import names
from deepracer_common.ros import node_support as ros
from deepracer_interfaces.msg import AgentAction, ServoCtrlMsg
from deepracer_interfaces.srv import SetThrottleScale

pytestmark = pytest.mark.timeout(90)

CONTROL = "deepracer_control.nodes.control_node"
# Max speed 0.8 m/s and max steering 30°, as in the car's worked example (docs/car-interfaces.md#worked-example).
DISCRETE = DiscreteActionSpace([
    DiscreteAction(30.0, 0.8),
    DiscreteAction(15.0, 0.4),
    DiscreteAction(0.0, 0.2),
    DiscreteAction(-30.0, 0.4),
])


def car_throttle(speed: float, max_speed: float, throttle_scale: float) -> float:
    """The car navigation node's speed curve, written out from
    docs/car-interfaces.md#speed-curve rather than imported.
    """
    a = (2 * 1.0 - 4 * 0.8) / max_speed**2
    b = (4 * 0.8 - 1.0) / max_speed
    return throttle_scale * max(-1.0, min(1.0, a * speed * speed + b * speed))


def write_model(folder, action_space):
    ModelMetadata(action_space=action_space).save(folder / "model_metadata.json")
    return str(folder)


def action(index: int = -1, values=(), step: int = 0) -> AgentAction:
    msg = AgentAction()
    msg.step = step
    msg.action_index = index
    msg.probabilities = [float(v) for v in values]
    return msg


class ControlRig:
    """control_node plus the probe's action publisher and servo subscriber, connected."""

    def __init__(self, probe, node):
        self.probe, self.node = probe, node
        self.actions = probe.publisher(AgentAction, names.ACTION_TOPIC, ros.LOCKSTEP_QOS)
        self.servo = probe.subscribe(ServoCtrlMsg, names.SERVO_TOPIC, ros.SERVO_QOS)
        probe.wait_for_subscribers(self.actions, processes=(node,))
        probe.spin_until(lambda: probe.node.count_publishers(names.SERVO_TOPIC) >= 1, 20, "control_node's servo publisher",
                         (node,))

    def send(self, msg: AgentAction) -> ServoCtrlMsg:
        """Publish one action and return the servo message it produced."""
        before = len(self.servo)
        self.actions.publish(msg)
        self.probe.spin_until(lambda: len(self.servo) > before, 10, f"servo message for action {msg.action_index}",
                              (self.node,))
        return self.servo[-1]


@pytest.fixture
def discrete_rig(probe, start_node, tmp_path):
    node = start_node(CONTROL, {"control_node": {
        "model_path": write_model(tmp_path, DISCRETE), "throttle_scale": 0.4, "watchdog_timeout": 0.5}})
    return ControlRig(probe, node)


def test_discrete_actions_follow_the_cars_navigation_formula(discrete_rig):
    # The car's worked example: max speed 0.8 m/s, throttle scale 0.4: 0.4 m/s → 0.32, 0.2 m/s → 0.19.
    servo = discrete_rig.send(action(1))
    assert servo.throttle == pytest.approx(0.32, abs=1e-6)
    assert servo.angle == pytest.approx(0.5, abs=1e-6)  # 15° of a 30° model: half lock, to the left
    servo = discrete_rig.send(action(2))
    assert servo.throttle == pytest.approx(0.19, abs=1e-6)
    assert servo.angle == 0.0
    servo = discrete_rig.send(action(0))
    assert servo.throttle == pytest.approx(0.4, abs=1e-6)  # top speed gives the full throttle scale
    assert servo.angle == pytest.approx(1.0)
    servo = discrete_rig.send(action(3))
    assert servo.angle == pytest.approx(-1.0)  # right
    assert servo.throttle == pytest.approx(car_throttle(0.4, 0.8, 0.4), abs=1e-6)


def test_continuous_actions_are_rescaled_and_clamped(probe, start_node, tmp_path):
    # |low| > high: the car's formula asks for angle -30/20 = -1.5; the output must be clamped to -1.
    space = ContinuousActionSpace(-30.0, 20.0, 0.5, 2.0)
    node = start_node(CONTROL, {"control_node": {"model_path": write_model(tmp_path, space), "throttle_scale": 1.0}})
    rig = ControlRig(probe, node)
    servo = rig.send(action(-1, (-1.0, 1.0)))
    assert servo.angle == -1.0
    assert servo.throttle == pytest.approx(1.0)
    # Mid-range: steer (0.2+1)/2·50-30 = 0° → 0; speed (−0.5+1)/2·1.5+0.5 = 0.875 m/s.
    servo = rig.send(action(-1, (0.2, -0.5)))
    assert servo.angle == pytest.approx(0.0, abs=1e-6)
    assert servo.throttle == pytest.approx(car_throttle(0.875, 2.0, 1.0), abs=1e-6)
    # Outputs beyond [-1, 1] are clamped before rescaling, as the car does.
    servo = rig.send(action(-1, (5.0, 7.0)))
    assert servo.angle == pytest.approx(1.0)
    assert servo.throttle == pytest.approx(1.0)


def test_watchdog_zeroes_the_throttle_when_actions_stop(discrete_rig):
    servo = discrete_rig.send(action(0))
    assert servo.throttle > 0.3
    count = len(discrete_rig.servo)
    discrete_rig.probe.spin_until(lambda: any(m.throttle == 0.0 for m in discrete_rig.servo[count:]), 10,
                                  "the watchdog's zero throttle", (discrete_rig.node,))
    assert "no action for" in discrete_rig.node.log_text()
    # A new action drives again.
    assert discrete_rig.send(action(1)).throttle == pytest.approx(0.32, abs=1e-6)


def test_malformed_actions_stop_the_car_and_are_logged(discrete_rig):
    assert discrete_rig.send(action(0)).throttle > 0
    for bad in (action(4), action(-1), action(-1, (0.1, 0.2)), action(2**31 - 1)):
        servo = discrete_rig.send(bad)
        assert (servo.angle, servo.throttle) == (0.0, 0.0)
    assert discrete_rig.node.alive()
    assert "bad action" in discrete_rig.node.log_text()
    assert "out of range" in discrete_rig.node.log_text()
    assert discrete_rig.send(action(2)).throttle == pytest.approx(0.19, abs=1e-6)


def test_nan_continuous_action_stops_the_car(probe, start_node, tmp_path):
    space = ContinuousActionSpace(-30.0, 30.0, 0.5, 1.0)
    node = start_node(CONTROL, {"control_node": {"model_path": write_model(tmp_path, space), "throttle_scale": 1.0}})
    rig = ControlRig(probe, node)
    assert rig.send(action(-1, (0.0, 1.0))).throttle == pytest.approx(1.0)
    servo = rig.send(action(-1, (math.nan, 0.5)))
    assert (servo.angle, servo.throttle) == (0.0, 0.0)
    assert rig.send(action(-1, (0.0, 0.5))).throttle > 0  # still alive and mapping
    assert "must be finite" in node.log_text()


def test_unknown_model_path_is_logged_and_survived(probe, start_node, tmp_path):
    node = start_node(CONTROL, {"control_node": {"model_path": str(tmp_path / "no_such_model"),
                                                 "throttle_scale": 1.0}})
    rig = ControlRig(probe, node)
    servo = rig.send(action(0))
    assert (servo.angle, servo.throttle) == (0.0, 0.0)
    log = node.log_text()
    assert "no_such_model" in log and "cannot read model metadata" in log
    assert node.alive()


def test_action_space_announced_by_the_agent_is_used(probe, start_node):
    node = start_node(CONTROL, {"control_node": {"throttle_scale": 0.4}})
    announce = probe.publisher(String, names.MODEL_METADATA_TOPIC, ros.LATCHED_QOS)
    announce.publish(String(data="{not json"))
    announce.publish(String(data=json.dumps(ModelMetadata(action_space=DISCRETE).to_dict())))
    rig = ControlRig(probe, node)
    # The latched announcement may be processed just after the first action: retry until it maps.
    probe.spin_until(lambda: rig.send(action(1)).throttle > 0, 20, "actions mapped with the announced space", (node,))
    assert rig.send(action(2)).throttle == pytest.approx(0.19, abs=1e-6)


def test_enable_and_throttle_scale_services(discrete_rig):
    probe, node = discrete_rig.probe, discrete_rig.node
    reply = probe.call(SetThrottleScale, names.SET_THROTTLE_SCALE_SERVICE, SetThrottleScale.Request(throttle_scale=1.5),
                       processes=(node,))
    assert not reply.success and "[0, 1]" in reply.message
    reply = probe.call(SetThrottleScale, names.SET_THROTTLE_SCALE_SERVICE, SetThrottleScale.Request(throttle_scale=0.8),
                       processes=(node,))
    assert reply.success
    assert discrete_rig.send(action(1)).throttle == pytest.approx(0.64, abs=1e-6)

    count = len(discrete_rig.servo)
    assert probe.call(SetBool, names.CONTROL_ENABLE_SERVICE, SetBool.Request(data=False), processes=(node,)).success
    probe.spin_until(lambda: len(discrete_rig.servo) > count, 10, "the stop sent on disable", (node,))
    assert discrete_rig.servo[-1].throttle == 0.0
    count = len(discrete_rig.servo)
    discrete_rig.actions.publish(action(0))
    probe.spin_for(1.0)
    assert all(m.throttle == 0.0 for m in discrete_rig.servo[count:]), "a stopped control_node must not drive"
    assert probe.call(SetBool, names.CONTROL_ENABLE_SERVICE, SetBool.Request(data=True), processes=(node,)).success
    assert discrete_rig.send(action(1)).throttle == pytest.approx(0.64, abs=1e-6)
