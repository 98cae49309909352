"""agent_node in its own process: acting on SimSteps, bad input, unknown models, the ONNX backend."""
from __future__ import annotations

import json

import numpy as np
import pytest
from rcl_interfaces.msg import Parameter as ParameterMsg
from rcl_interfaces.msg import ParameterType, ParameterValue
from rcl_interfaces.srv import SetParameters
from sensor_msgs.msg import Image
from std_msgs.msg import String

from deepracer_agent.model.samples import car_model, untrained_model
from deepracer_common.action_space import discrete_from_garage
from deepracer_common.ros import names
from deepracer_common.ros import node_support as ros
from deepracer_interfaces.msg import AgentAction, SimStep

pytestmark = pytest.mark.timeout(120)
AGENT = "deepracer_agent.nodes.agent_node"
ACTIONS = discrete_from_garage(30.0, 5, 1.0, 3)


def frame(width=160, height=120, encoding="mono8", channels=1, seed=0) -> Image:
    pixels = np.random.default_rng(seed).integers(0, 256, size=(height, width * channels), dtype=np.uint8)
    return Image(width=width, height=height, encoding=encoding, step=width * channels, data=pixels.tobytes())


def sim_step(step: int, images, lidar=()) -> SimStep:
    msg = SimStep(step=step, images=list(images))
    msg.lidar = [float(v) for v in lidar]
    return msg


class AgentRig:
    def __init__(self, probe, node):
        self.probe, self.node = probe, node
        self.steps = probe.publisher(SimStep, names.SIM_STEP_TOPIC, ros.LOCKSTEP_QOS)
        self.actions = probe.subscribe(AgentAction, names.ACTION_TOPIC, ros.LOCKSTEP_QOS)
        probe.wait_for_subscribers(self.steps, timeout=60, processes=(node,))

    def send(self, msg: SimStep, expect_answer: bool = True, wait: float = 1.5):
        before = len(self.actions)
        self.steps.publish(msg)
        if expect_answer:
            self.probe.spin_until(lambda: len(self.actions) > before, 30, f"the action for SimStep {msg.step}",
                                  (self.node,))
            return self.actions[-1]
        self.probe.spin_for(wait)
        assert len(self.actions) == before, f"SimStep {msg.step} should not have been answered"
        return None


@pytest.fixture(scope="module")
def lidar_model(tmp_path_factory):
    return untrained_model(tmp_path_factory.mktemp("models") / "lidar", ACTIONS, ["FRONT_FACING_CAMERA", "LIDAR"])


def test_acts_on_sim_steps_and_survives_malformed_ones(probe, start_node, lidar_model):
    node = start_node(AGENT, {"agent_node": {"model_path": str(lidar_model.path)}})
    metadata = probe.subscribe(String, names.MODEL_METADATA_TOPIC, ros.LATCHED_QOS)
    rig = AgentRig(probe, node)
    ranges = [0.5] * 32 + [float("inf")] * 32

    action = rig.send(sim_step(10, [frame()], ranges))
    assert action.step == 10
    assert 0 <= action.action_index < ACTIONS.n
    assert len(action.probabilities) == ACTIONS.n and sum(action.probabilities) == pytest.approx(1.0, abs=1e-5)
    assert action.action_index == int(np.argmax(action.probabilities))  # deterministic by default
    steering, speed = ACTIONS.command(action.action_index)
    assert (action.steering_angle, action.speed) == (pytest.approx(steering), pytest.approx(speed))
    # A repeated SimStep (sim_node resending) gets the very same action back.
    again = rig.send(sim_step(10, [frame(seed=5)], ranges))
    assert (again.step, again.action_index) == (10, action.action_index)

    bad_inputs = {
        "image is 80x60": sim_step(11, [frame(80, 60)], ranges),
        "unsupported image encoding '16UC1'": sim_step(12, [frame(encoding="16UC1", channels=2)], ranges),
        "needs 1 image(s), got 0": sim_step(13, [], ranges),
        "needs 64 LIDAR ranges, got 10": sim_step(14, [frame()], [1.0] * 10),
        "no LIDAR ranges arrived": sim_step(15, [frame()], []),
        "bytes with step": sim_step(16, [Image(width=160, height=120, encoding="mono8", step=160, data=b"\0" * 99)],
                                    ranges),
    }
    for expected, msg in bad_inputs.items():
        rig.send(msg, expect_answer=False, wait=0.6)
    probe.spin_until(lambda: all(expected in node.log_text() for expected in bad_inputs), 10,
                     "an error naming each bad input", (node,))
    assert node.alive()
    # Still acting after all that; and it announced its model for control_node and sim_node.
    assert rig.send(sim_step(20, [frame(encoding="bgr8", channels=3)], ranges)).step == 20
    assert json.loads(metadata[-1].data)["sensor"] == ["FRONT_FACING_CAMERA", "LIDAR"]


def test_unknown_model_path_is_logged_and_a_new_one_can_be_set(probe, start_node, tmp_path):
    model = untrained_model(tmp_path / "camera", ACTIONS)
    node = start_node(AGENT, {"agent_node": {"model_path": str(tmp_path / "missing_model")}})
    rig = AgentRig(probe, node)
    rig.send(sim_step(1, [frame()]), expect_answer=False)
    probe.spin_until(lambda: "missing_model" in node.log_text(), 10, "the error naming the model", (node,))
    assert "cannot load a policy" in node.log_text() and node.alive()

    request = SetParameters.Request(parameters=[ParameterMsg(
        name="model_path", value=ParameterValue(type=ParameterType.PARAMETER_STRING, string_value=str(model.path)))])
    reply = probe.call(SetParameters, "/agent_node/set_parameters", request, processes=(node,))
    assert reply.results[0].successful
    assert rig.send(sim_step(2, [frame()])).step == 2


def test_onnx_backend_acts_like_the_checkpoint(probe, start_node, tmp_path, lidar_model):
    car_folder = car_model(lidar_model, tmp_path / "car_model")
    torch_node = start_node(AGENT, {"agent_node": {"model_path": str(lidar_model.path), "backend": "torch"}})
    torch_rig = AgentRig(probe, torch_node)
    ranges = list(np.linspace(0.2, 3.0, 64))
    answers_torch = [torch_rig.send(sim_step(100 + i, [frame(seed=i)], ranges)) for i in range(3)]
    torch_node.stop()
    onnx_node = start_node(AGENT, {"agent_node": {"model_path": str(car_folder), "backend": "auto"}})
    onnx_rig = AgentRig(probe, onnx_node)
    answers_onnx = [onnx_rig.send(sim_step(200 + i, [frame(seed=i)], ranges)) for i in range(3)]
    assert "(onnx)" in onnx_node.log_text()
    for a, b in zip(answers_torch, answers_onnx):
        assert a.action_index == b.action_index
        assert list(a.probabilities) == pytest.approx(list(b.probabilities), abs=1e-4)


def _set(probe, node, name: str, value: str):
    request = SetParameters.Request(parameters=[ParameterMsg(
        name=name, value=ParameterValue(type=ParameterType.PARAMETER_STRING, string_value=value))])
    return probe.call(SetParameters, "/agent_node/set_parameters", request, processes=(node,)).results[0]


def test_changing_backend_or_checkpoint_loads_the_model_again(probe, start_node, tmp_path):
    import torch

    from deepracer_agent.model.export import export_onnx
    from deepracer_agent.model.folder import CheckpointName
    from deepracer_agent.rl.torch_backend import checkpoint_payload
    from deepracer_agent.rl.networks import ActorCritic

    model = untrained_model(tmp_path / "two_checkpoints", ACTIONS)
    torch.manual_seed(9)
    later = ActorCritic.for_metadata(model.metadata())
    model.save_checkpoint(CheckpointName(1, 10), checkpoint_payload(later, model.metadata(), CheckpointName(1, 10)))
    export_onnx(model, "0")  # export/model.onnx: the first checkpoint
    node = start_node(AGENT, {"agent_node": {"model_path": str(model.path), "backend": "torch"}})
    rig = AgentRig(probe, node)
    probe.spin_until(lambda: "two_checkpoints/1_Step-10.ckpt (torch)" in node.log_text(), 20,
                     "the newest checkpoint loaded", (node,))
    newest = rig.send(sim_step(1, [frame(seed=3)]))

    assert _set(probe, node, "checkpoint", "0").successful
    probe.spin_until(lambda: "two_checkpoints/0_Step-0.ckpt (torch)" in node.log_text(), 20,
                     "checkpoint 0 loaded after the parameter changed", (node,))
    first = rig.send(sim_step(2, [frame(seed=3)]))
    assert list(first.probabilities) != pytest.approx(list(newest.probabilities), abs=1e-6)

    assert _set(probe, node, "backend", "onnx").successful
    probe.spin_until(lambda: "(onnx)" in node.log_text(), 20, "the ONNX export loaded after the backend changed",
                     (node,))
    exported = rig.send(sim_step(3, [frame(seed=3)]))
    assert exported.action_index == first.action_index
    assert list(exported.probabilities) == pytest.approx(list(first.probabilities), abs=1e-4)
    assert not _set(probe, node, "backend", "tensorflow").successful
