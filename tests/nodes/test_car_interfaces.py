"""Our nodes against the physical car's own interface package (a stand-in built with its exact definitions)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from deepracer_control.action_space import DiscreteAction, DiscreteActionSpace
from deepracer_control.model_metadata import ModelMetadata
from deepracer_control.nodes import ros_common as rc
from deepracer_interfaces.msg import AgentAction

from car_standin import build_car_interfaces

STANDIN = str(Path(__file__).with_name("car_standin.py"))
pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def car_env(tmp_path_factory, ros_env):
    """The test environment plus a built deepracer_interfaces_pkg (about 20 s to build)."""
    return {**ros_env, **build_car_interfaces(tmp_path_factory.mktemp("car_interfaces"))}


def servo_messages(process) -> list[dict]:
    return [json.loads(line) for line in process.log_text().splitlines() if line.startswith("{")]


def test_control_node_drives_the_stock_servo_node(probe, start_node, car_env, tmp_path):
    space = DiscreteActionSpace([DiscreteAction(30.0, 0.8), DiscreteAction(15.0, 0.4), DiscreteAction(-30.0, 0.2)])
    ModelMetadata(action_space=space).save(tmp_path / "model_metadata.json")
    servo = start_node(STANDIN, env=car_env, args=["servo"])
    control = start_node("deepracer_control.nodes.control_node", env=car_env, params={"control_node": {
        "model_path": str(tmp_path), "throttle_scale": 0.4, "output_type": rc.CAR_SERVO_TYPE}})
    actions = probe.publisher(AgentAction, rc.ACTION_TOPIC, rc.LOCKSTEP_QOS)
    probe.wait_for_subscribers(actions, processes=(control, servo))
    probe.spin_until(lambda: "ready" in servo.log_text(), 30, "the servo stand-in", (servo,))

    def received(angle: float, throttle: float) -> bool:
        return any(abs(m["angle"] - angle) < 1e-6 and abs(m["throttle"] - throttle) < 1e-6
                   for m in servo_messages(servo))

    # Best effort, KeepLast 1, and discovery between two other processes: repeat until it lands.
    def send_until_received(index: int, angle: float, throttle: float) -> None:
        def attempt():
            actions.publish(AgentAction(action_index=index))
            probe.spin_for(0.1)
            return received(angle, throttle)
        probe.spin_until(attempt, 30, f"servo ({angle}, {throttle}) at the stand-in servo_node", (control, servo))

    send_until_received(1, 0.5, 0.32)
    send_until_received(2, -1.0, 0.19)
    assert {m["type"] for m in servo_messages(servo)} == {"deepracer_interfaces_pkg.msg._servo_ctrl_msg.ServoCtrlMsg"}
