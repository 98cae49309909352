"""Our nodes against the physical car's own interface package (a stand-in built with its exact definitions)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from deepracer_common.action_space import DiscreteAction, DiscreteActionSpace
from deepracer_common.model_metadata import ModelMetadata
from deepracer_common.ros import names
from deepracer_common.ros import node_support as ros
from deepracer_interfaces.msg import AgentAction

STANDIN = str(Path(__file__).with_name("car_standin.py"))
NO_TORCH = """
import sys


class _NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError("torch is not installed (blocked by the test)", name=name)
        return None


sys.meta_path.insert(0, _NoTorch())
"""
pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def car_env(standin_env):
    return standin_env


def servo_messages(process) -> list[dict]:
    return [json.loads(line) for line in process.log_text().splitlines() if line.startswith("{")]


def test_control_node_drives_the_stock_servo_node(probe, start_node, car_env, tmp_path):
    space = DiscreteActionSpace([DiscreteAction(30.0, 0.8), DiscreteAction(15.0, 0.4), DiscreteAction(-30.0, 0.2)])
    ModelMetadata(action_space=space).save(tmp_path / "model_metadata.json")
    servo = start_node(STANDIN, env=car_env, args=["servo"])
    control = start_node("deepracer_control.nodes.control_node", env=car_env, params={"control_node": {
        "model_path": str(tmp_path), "throttle_scale": 0.4, "output_type": names.CAR_SERVO_TYPE}})
    actions = probe.publisher(AgentAction, names.ACTION_TOPIC, ros.LOCKSTEP_QOS)
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


def test_car_deployment_camera_to_servo(probe, start_node, car_env, tmp_path):
    """car.launch.py's pair on the car's own topics and types: CameraMsg (bgr8) in, ServoCtrlMsg out, ONNX policy."""
    import yaml

    from deepracer_agent.model.samples import car_model, untrained_model
    from deepracer_common.action_space import discrete_from_garage

    space = discrete_from_garage(30.0, 5, 1.0, 3)
    folder = car_model(untrained_model(tmp_path / "trained", space), tmp_path / "car_model")
    # The shipped parameter file, with the model path a launch argument would add.
    config = yaml.safe_load((Path(__file__).resolve().parents[2] / "config" / "car.yaml").read_text())
    for name in ("agent_node", "control_node"):
        config[name]["ros__parameters"]["model_path"] = str(folder)
    config["control_node"]["ros__parameters"]["enabled"] = True
    params = tmp_path / "car_params.yaml"
    params.write_text(yaml.safe_dump(config))

    servo = start_node(STANDIN, env=car_env, args=["servo"])
    camera = start_node(STANDIN, env=car_env, args=["camera"])
    # As on the car, torch is not there: a sitecustomize makes every import of it fail in agent_node.
    blocker = tmp_path / "no_torch"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(NO_TORCH)
    agent_env = dict(car_env, PYTHONPATH=f"{blocker}:{car_env.get('PYTHONPATH', '')}")
    agent = start_node("deepracer_agent.nodes.agent_node", env=agent_env, params_files=[params])
    control = start_node("deepracer_control.nodes.control_node", env=car_env, params_files=[params])
    actions = probe.subscribe(AgentAction, names.ACTION_TOPIC, ros.LOCKSTEP_QOS)
    nodes = (servo, camera, agent, control)
    probe.spin_until(lambda: len(actions) >= 5, 60, "actions on the car's camera frames", nodes)
    assert "(onnx)" in agent.log_text(), "the car has no torch: the ONNX model must be used"
    assert "blocked by the test" not in agent.log_text()

    # Every action maps to the servo exactly as the car's navigation node would (throttle scale 0.5).
    from deepracer_control.navigation import NavigationMapper

    mapper = NavigationMapper(space)
    expected = {(round(c.angle, 5), round(c.throttle, 5)) for c in
                (mapper.servo_for_action(index, 0.5) for index in range(space.n))}
    probe.spin_until(lambda: servo_messages(servo), 30, "servo messages at the stand-in servo_node", nodes)
    received = {(round(m["angle"], 5), round(m["throttle"], 5)) for m in servo_messages(servo)}
    assert received and received <= expected | {(0.0, 0.0)}
    assert any(t > 0 for _, t in received), "the car must be driven, not only stopped"
