"""The policy runner: observations in, actions out, for training, evaluation, the CLI and agent_node.

    runner = load_policy("models/my-model")                  # torch checkpoint, or model.onnx without torch
    decision = runner.act({"FRONT_FACING_CAMERA": frame})     # frame: (120, 160, 1) uint8
    decision.action, decision.steering_angle, decision.speed

A backend turns a batch of observations into the policy head's output: action probabilities
(discrete) or the action mean in [-1, 1] space (continuous), and tells the continuous policy's
log-std. Choosing the action is done here, the same way for every backend: deterministic (the
simulator's evaluation) takes the argmax or the mean, otherwise the action is sampled from the
categorical or the Gaussian by the runner's sampler; the log-probability belongs to the action
as chosen (unclipped). The sampler draws and scores samples: numpy's generator by default,
torch.distributions for training (deepracer_agent.rl.torch_backend.TorchSampler), so a seeded
training run draws, and scores to the last bit, what it did before the runner existed.

Backends: deepracer_agent.rl.torch_backend (a checkpoint, or the network being trained; it lives
with the networks because it needs torch) and deepracer_agent.policy.onnx_backend (an exported
model.onnx). Everything in deepracer_agent.policy imports without torch or the simulator, as on
the car; the torch backend is imported only when a torch policy is asked for.
"""
from __future__ import annotations

import importlib.util
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Protocol

import numpy as np

from deepracer_agent.policy.actions import command, env_action
from deepracer_common import model_files
from deepracer_common.model_metadata import ModelMetadata, ModelMetadataError

BACKENDS = ("auto", "torch", "onnx")
HALF_LOG_TWO_PI = 0.5 * math.log(2.0 * math.pi)


class PolicyLoadError(ValueError):
    """A model folder cannot be turned into a policy; the message names the folder and what is missing."""


class Sampler(Protocol):
    """Draws sampled actions and scores them."""

    def categorical(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per row of (B, n) non-negative weights, an index drawn with probability proportional to them:
        (B,) int64 indices and their (B,) log-probabilities."""

    def normal(self, mean: np.ndarray, log_std: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(B, k) float32 draws from N(mean, exp(log_std)²) and their (B,) log-densities (summed over k)."""


def categorical_log_probs(weights: np.ndarray, actions: np.ndarray) -> np.ndarray:
    probabilities = np.asarray(weights, dtype=np.float64)
    probabilities = probabilities / probabilities.sum(axis=-1, keepdims=True)
    return np.log(probabilities[np.arange(len(actions)), actions])


def normal_log_probs(actions: np.ndarray, mean: np.ndarray, log_std: np.ndarray) -> np.ndarray:
    log_std = np.asarray(log_std, dtype=np.float64)
    z = (np.asarray(actions, dtype=np.float64) - mean) / np.exp(log_std)
    return (-0.5 * z * z - log_std - HALF_LOG_TWO_PI).sum(axis=-1)


class NumpySampler:
    def __init__(self, generator: np.random.Generator | None = None):
        self.generator = generator if generator is not None else np.random.default_rng()

    def categorical(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cumulative = np.cumsum(np.asarray(weights, dtype=np.float64), axis=-1)
        draws = self.generator.random((len(cumulative), 1)) * cumulative[:, -1:]
        actions = np.minimum((cumulative <= draws).sum(axis=-1), cumulative.shape[-1] - 1).astype(np.int64)
        return actions, categorical_log_probs(weights, actions)

    def normal(self, mean: np.ndarray, log_std: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean = np.asarray(mean, dtype=np.float64)
        noise = self.generator.standard_normal(mean.shape)
        actions = (mean + np.exp(np.asarray(log_std, dtype=np.float64)) * noise).astype(np.float32)
        return actions, normal_log_probs(actions, mean, log_std)


class Backend(Protocol):
    kind: str  # "torch" or "onnx"
    keys: list[str]  # the observation keys the network reads, in its input order

    def forward(self, observations: Mapping[str, np.ndarray]) -> np.ndarray:
        """(B, n) action probabilities (discrete) or (B, 2) action means (continuous)."""

    def log_std(self) -> np.ndarray | None:
        """The continuous policy's (2,) log standard deviation; None when the model does not carry it."""


@dataclass
class Decisions:
    """A batch of chosen actions."""

    actions: np.ndarray  # (B,) int64 indices, or (B, 2) float32 normalised actions as chosen (unclipped)
    log_probs: np.ndarray  # (B,) float32 log pi(action | observation); 0 where the backend has no log-std
    probabilities: np.ndarray | None  # (B, n) float32 discrete probabilities; None for continuous
    env_actions: list  # what the simulator takes: int indices, or float32 values clipped to [-1, 1]


@dataclass
class Decision:
    """One chosen action, with what agent_node publishes about it."""

    action: Any  # int index (discrete) or (2,) float32 normalised action (continuous), as chosen
    log_prob: float
    probabilities: np.ndarray  # (n,) discrete probabilities, or the (2,) action clipped to [-1, 1]
    steering_angle: float  # degrees, positive = left
    speed: float  # m/s
    env_action: Any  # the int index, or the clipped (2,) action


class PolicyRunner:
    def __init__(self, backend: Backend, metadata: ModelMetadata, name: str = "", checkpoint: str | None = None,
                 sampler: Sampler | None = None):
        self.backend = backend
        self.metadata = metadata
        self.action_space = metadata.action_space
        self.keys = list(backend.keys)
        self.name = name
        self.checkpoint = checkpoint
        self.sampler = sampler if sampler is not None else NumpySampler()

    @classmethod
    def from_network(cls, model, metadata: ModelMetadata, name: str = "training",
                     sampler: Sampler | None = None) -> "PolicyRunner":
        """The runner of a live torch network (training acts with the network it is updating); it samples
        from torch's global generator unless given another sampler."""
        from deepracer_agent.rl.torch_backend import TorchBackend, TorchSampler

        return cls(TorchBackend(model), metadata, name=name, sampler=sampler or TorchSampler())

    @classmethod
    def from_model(cls, model: str | os.PathLike, checkpoint: str | int | None = None,
                   root: str | os.PathLike | None = None) -> "PolicyRunner":
        """A checkpoint of a training model folder, by name under the models root or by path (torch)."""
        from deepracer_agent.model.folder import ModelFolder
        from deepracer_agent.rl.torch_backend import TorchBackend

        folder = ModelFolder.resolve(model, root)
        backend, metadata, checkpoint_name = TorchBackend.from_folder(folder, checkpoint)
        return cls(backend, metadata, name=f"{folder.name}/{checkpoint_name}", checkpoint=checkpoint_name)

    @property
    def kind(self) -> str:
        return self.backend.kind

    def act_batch(self, observations: Mapping[str, Any], deterministic: bool = True) -> Decisions:
        """Actions for a batch of observations (each value (B, ...), in the network's keys)."""
        missing = [key for key in self.keys if key not in observations]
        if missing:
            raise KeyError(f"observation {missing[0]!r} is missing (got {sorted(observations)})")
        output = np.asarray(self.backend.forward({key: observations[key] for key in self.keys}))
        if self.action_space.type == "discrete":
            actions, log_probs, probabilities = self._categorical(output, deterministic)
            env_actions = [int(a) for a in actions]
        else:
            actions, log_probs = self._gaussian(output, deterministic)
            probabilities = None
            env_actions = [env_action(a, "continuous") for a in actions]
        return Decisions(actions, log_probs.astype(np.float32), probabilities, env_actions)

    def act(self, observation: Mapping[str, Any], deterministic: bool = True) -> Decision:
        """The action for one unbatched observation, with the command it stands for."""
        batch = {key: np.asarray(observation[key])[None] for key in self.keys if key in observation}
        decisions = self.act_batch(batch, deterministic)
        action = decisions.actions[0]
        chosen = decisions.env_actions[0]
        if self.action_space.type == "discrete":
            action = int(action)
            shown = decisions.probabilities[0]
        else:
            shown = chosen
        steering, speed = command(chosen, self.action_space)
        return Decision(action, float(decisions.log_probs[0]), shown, steering, speed, chosen)

    # ------------------------------------------------------------------ choosing
    def _categorical(self, output: np.ndarray, deterministic: bool):
        # The network floors each probability at 1e-8, so a row sums to slightly more than 1.
        probabilities = output.astype(np.float64)
        probabilities /= probabilities.sum(axis=-1, keepdims=True)
        if deterministic:
            actions = probabilities.argmax(axis=-1).astype(np.int64)
            log_probs = categorical_log_probs(probabilities, actions)
        else:
            actions, log_probs = self.sampler.categorical(output)
        return actions, log_probs, probabilities.astype(np.float32)

    def _gaussian(self, output: np.ndarray, deterministic: bool):
        log_std = self.backend.log_std()
        if log_std is None:
            # An exported policy carries the mean only: it can act deterministically, nothing else.
            return output.astype(np.float32), np.zeros(len(output))
        log_std = np.broadcast_to(log_std, output.shape)
        if deterministic:
            actions = output.astype(np.float32)
            return actions, normal_log_probs(actions, output.astype(np.float64), log_std)
        return self.sampler.normal(output, log_std)


# ---------------------------------------------------------------------------- loading
def torch_available() -> bool:
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


def load_policy(model_path: str | os.PathLike, backend: str = "auto", checkpoint: str | int | None = None,
                threads: int | None = None) -> PolicyRunner:
    """The policy of a model folder in either layout; PolicyLoadError (never another exception type)
    when it cannot be had.

    Model folders come in two layouts (deepracer_common.model_files): a training folder
    (model/model_metadata.json, model/<N>_Step-<steps>.ckpt, export/model.onnx once exported) and a
    car folder (model_metadata.json and model.onnx side by side). backend "auto" takes the torch
    checkpoint where torch is installed and the folder has checkpoints, else the ONNX model.
    `threads`: the threads inference may use (None: the library's default).
    """
    if backend not in BACKENDS:
        raise PolicyLoadError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if not model_path:
        raise PolicyLoadError("no model_path given")
    folder = Path(model_path).expanduser()
    if not folder.is_dir():
        raise PolicyLoadError(f"model folder {folder} does not exist")
    try:
        model_files.find_metadata(folder)
    except ModelMetadataError as error:
        raise PolicyLoadError(str(error)) from None
    if backend == "torch" or (backend == "auto" and torch_available() and model_files.has_checkpoints(folder)):
        if not torch_available():
            raise PolicyLoadError("backend 'torch' asked for, but torch is not installed")
        from deepracer_agent.model.folder import ModelError, ModelFolder
        from deepracer_agent.rl.torch_backend import TorchBackend

        try:
            model = ModelFolder.resolve(folder)
            loaded, metadata, checkpoint_name = TorchBackend.from_folder(model, checkpoint, threads=threads)
        except ModelError as error:
            raise PolicyLoadError(str(error)) from None
        return PolicyRunner(loaded, metadata, name=f"{model.name}/{checkpoint_name}", checkpoint=checkpoint_name)
    from deepracer_agent.policy.onnx_backend import OnnxBackend

    onnx_path = model_files.find_onnx(folder)
    if onnx_path is None:
        raise PolicyLoadError(f"{folder}: no model.onnx (looked in {folder} and {folder / 'export'})")
    try:
        metadata = model_files.load_metadata(folder)
    except ModelMetadataError as error:
        raise PolicyLoadError(str(error)) from None
    try:
        onnx_backend = OnnxBackend(onnx_path, threads=threads)
    except ImportError:
        raise PolicyLoadError("neither torch nor onnxruntime is installed: cannot run a policy") from None
    except Exception as error:  # onnxruntime raises its own exception types for corrupt files
        raise PolicyLoadError(f"{onnx_path}: cannot load ONNX model ({error})") from None
    return PolicyRunner(onnx_backend, metadata, name=str(onnx_path))

