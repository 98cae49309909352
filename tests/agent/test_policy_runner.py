"""The policy runner: how actions are chosen (argmax, mean, samples and their log-probabilities), the torch and
ONNX backends agreeing, and the car-side path working without torch or the simulator."""
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from conftest import PYTHONPATH

from deepracer_agent.policy.runner import NumpySampler, PolicyLoadError, PolicyRunner, load_policy
from deepracer_agent.rl.torch_backend import TorchSampler
from deepracer_agent.rl.networks import ActorCritic
from deepracer_common.action_space import ContinuousActionSpace, discrete_from_garage
from deepracer_common.model_metadata import ModelMetadata

ACTIONS = discrete_from_garage(30, 5, 1.0, 3)


def _camera_runner(seed=0, space=ACTIONS):
    torch.manual_seed(seed)
    metadata = ModelMetadata(action_space=space)
    model = ActorCritic.for_metadata(metadata).eval()
    return PolicyRunner.from_network(model, metadata), model


def _lidar_runner(kind="discrete", seed=None):
    torch.manual_seed(0)
    space = ACTIONS if kind == "discrete" else ContinuousActionSpace(-30.0, 30.0, 0.5, 2.0)
    metadata = ModelMetadata(action_space=space)  # the runner reads the action space from it
    # A LIDAR-only network keeps the test fast; the runner acts on whatever the network reads.
    model = ActorCritic({"SECTOR_LIDAR": (8,)}, "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW", kind,
                        ACTIONS.n if kind == "discrete" else 2).eval()
    sampler = None if seed is None else NumpySampler(np.random.default_rng(seed))
    return PolicyRunner.from_network(model, metadata, sampler=sampler), model


def test_deterministic_action_is_argmax_or_mean():
    runner, model = _camera_runner()
    frame = torch.randint(0, 256, (4, 120, 160, 1), dtype=torch.uint8)
    decisions = runner.act_batch({"FRONT_FACING_CAMERA": frame.numpy()}, deterministic=True)
    with torch.no_grad():
        assert decisions.actions.tolist() == model.policy({"FRONT_FACING_CAMERA": frame}).argmax(-1).tolist()
    assert decisions.env_actions == decisions.actions.tolist()

    runner, model = _lidar_runner("continuous")
    observations = {"SECTOR_LIDAR": np.random.default_rng(1).uniform(0, 1, (3, 8)).astype(np.float32)}
    decisions = runner.act_batch(observations, deterministic=True)
    with torch.no_grad():
        mean = model.policy({"SECTOR_LIDAR": torch.from_numpy(observations["SECTOR_LIDAR"])}).numpy()
    np.testing.assert_allclose(decisions.actions, mean, atol=1e-6)


def test_sampled_discrete_actions_follow_the_probabilities_with_their_log_probabilities():
    runner, model = _lidar_runner("discrete", seed=3)
    with torch.no_grad():
        model.policy.head.bias.copy_(torch.linspace(-2.0, 2.0, ACTIONS.n))  # a policy far from uniform
    observations = {"SECTOR_LIDAR": np.full((20000, 8), 0.5, dtype=np.float32)}
    decisions = runner.act_batch(observations, deterministic=False)
    with torch.no_grad():
        probabilities = model.policy({"SECTOR_LIDAR": torch.from_numpy(observations["SECTOR_LIDAR"][:1])})[0].numpy()
        expected_log_probs, _ = model.log_prob_entropy({"SECTOR_LIDAR": torch.from_numpy(observations["SECTOR_LIDAR"])},
                                                       torch.from_numpy(decisions.actions))
    frequencies = np.bincount(decisions.actions, minlength=ACTIONS.n) / len(decisions.actions)
    assert np.abs(frequencies - probabilities).max() < 0.015, (frequencies, probabilities)
    np.testing.assert_allclose(decisions.log_probs, expected_log_probs.numpy(), atol=1e-5)
    # Seeded generators give the same samples.
    again, _ = _lidar_runner("discrete", seed=3)
    with torch.no_grad():
        again.backend.model.policy.head.bias.copy_(torch.linspace(-2.0, 2.0, ACTIONS.n))
    assert again.act_batch(observations, deterministic=False).actions.tolist() == decisions.actions.tolist()


def test_sampled_continuous_actions_stay_unclipped_and_the_simulator_gets_them_clipped():
    runner, model = _lidar_runner("continuous", seed=5)
    with torch.no_grad():
        model.policy.log_std.fill_(0.5)  # wide enough that samples leave [-1, 1]
    observations = {"SECTOR_LIDAR": np.random.default_rng(2).uniform(0, 1, (500, 8)).astype(np.float32)}
    decisions = runner.act_batch(observations, deterministic=False)
    assert decisions.actions.dtype == np.float32 and decisions.probabilities is None
    assert np.abs(decisions.actions).max() > 1.0
    clipped = np.stack(decisions.env_actions)
    np.testing.assert_array_equal(clipped, np.clip(decisions.actions, -1.0, 1.0))
    with torch.no_grad():
        expected, _ = model.log_prob_entropy({"SECTOR_LIDAR": torch.from_numpy(observations["SECTOR_LIDAR"])},
                                             torch.from_numpy(decisions.actions))
    np.testing.assert_allclose(decisions.log_probs, expected.numpy(), atol=1e-4)
    single = runner.act({"SECTOR_LIDAR": observations["SECTOR_LIDAR"][0]}, deterministic=True)
    assert (single.steering_angle, single.speed) == pytest.approx(
        runner.action_space.command(np.clip(single.action, -1.0, 1.0)))
    np.testing.assert_array_equal(single.probabilities, np.clip(single.action, -1.0, 1.0))


def test_training_draws_what_torch_distributions_draw_from_the_same_seed():
    """A seeded training run samples the actions it sampled before the runner existed."""
    runner, model = _lidar_runner("discrete")
    assert isinstance(runner.sampler, TorchSampler)
    observations = {"SECTOR_LIDAR": np.random.default_rng(4).uniform(0, 1, (64, 8)).astype(np.float32)}
    batch = {"SECTOR_LIDAR": torch.from_numpy(observations["SECTOR_LIDAR"])}
    torch.manual_seed(21)
    with torch.no_grad():
        distribution = model.policy.distribution(batch)
        expected = distribution.sample()
        expected_log_probs = distribution.log_prob(expected)
    torch.manual_seed(21)
    decisions = runner.act_batch(observations, deterministic=False)
    assert decisions.actions.tolist() == expected.tolist()
    np.testing.assert_array_equal(decisions.log_probs, expected_log_probs.numpy())  # PPO's ratio starts at exactly 1

    runner, model = _lidar_runner("continuous")
    with torch.no_grad():
        model.policy.log_std.fill_(-0.5)
        torch.manual_seed(22)
        expected = model.policy.distribution(batch).sample()
    torch.manual_seed(22)
    np.testing.assert_array_equal(runner.act_batch(observations, deterministic=False).actions, expected.numpy())


@pytest.fixture(scope="module")
def lidar_model(tmp_path_factory):
    from deepracer_agent.model.samples import car_model, untrained_model

    root = tmp_path_factory.mktemp("runner_models")
    training = untrained_model(root / "training", ACTIONS, ["FRONT_FACING_CAMERA", "LIDAR"], seed=4)
    return training, car_model(training, root / "car")


def _observations(count=3):
    rng = np.random.default_rng(8)
    return [{"FRONT_FACING_CAMERA": rng.integers(0, 256, (120, 160, 1), dtype=np.uint8),
             "LIDAR": rng.uniform(0.2, 5.0, 64).astype(np.float32)} for _ in range(count)]


def test_torch_and_onnx_backends_choose_the_same_actions(lidar_model):
    training, car = lidar_model
    with_torch = load_policy(training.path, "torch")
    with_onnx = load_policy(car, "auto")
    assert (with_torch.kind, with_onnx.kind) == ("torch", "onnx")
    for observation in _observations():
        a, b = with_torch.act(observation), with_onnx.act(observation)
        assert a.action == b.action and (a.steering_angle, a.speed) == (b.steering_angle, b.speed)
        np.testing.assert_allclose(a.probabilities, b.probabilities, atol=1e-4)
        assert a.log_prob == pytest.approx(b.log_prob, abs=1e-3)
    with pytest.raises(PolicyLoadError, match="backend must be one of"):
        load_policy(car, "tensorflow")
    with pytest.raises(PolicyLoadError, match="no model.onnx"):
        load_policy(training.path, "onnx")


def test_the_car_side_path_runs_without_torch_or_the_simulator(lidar_model, tmp_path):
    """agent_node and the runner import, load the car's ONNX model and act with torch, the simulator,
    gymnasium and numba unimportable."""
    training, car = lidar_model
    observations = _observations()
    np.savez(tmp_path / "observations.npz", **{f"{i}_{key}": value for i, o in enumerate(observations)
                                               for key, value in o.items()})
    expected = [load_policy(training.path, "torch").act(o) for o in observations]
    script = textwrap.dedent(f"""
        import json, sys
        import numpy as np
        BLOCKED = ("torch", "deepracer_sim", "gymnasium", "numba")

        class Blocker:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
                return None

        sys.meta_path.insert(0, Blocker())
        import deepracer_agent.nodes.agent_node
        from deepracer_agent.policy.runner import load_policy

        runner = load_policy({str(car)!r}, "auto", threads=1)
        stored = np.load({str(tmp_path / "observations.npz")!r})
        decisions = []
        for i in range({len(observations)}):
            decision = runner.act({{key: stored[f"{{i}}_{{key}}"] for key in ("FRONT_FACING_CAMERA", "LIDAR")}})
            decisions.append([decision.action, decision.steering_angle, decision.speed])
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
        print(json.dumps({{"kind": runner.kind, "decisions": decisions, "loaded": loaded}}))
    """)
    env = {**__import__("os").environ}
    env["PYTHONPATH"] = PYTHONPATH + (":" + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["kind"] == "onnx" and report["loaded"] == []
    assert report["decisions"] == [[d.action, pytest.approx(d.steering_angle), pytest.approx(d.speed)]
                                   for d in expected]
