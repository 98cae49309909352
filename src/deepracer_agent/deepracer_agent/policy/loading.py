"""The policy agent_node runs: a torch checkpoint where torch is installed, else the exported ONNX.

Both backends answer `decide(observation, deterministic)` with the chosen action, its
log-probability (training needs it), the per-action probabilities (discrete) or the normalised
action (continuous), and the (steering °, speed m/s) command it stands for, from the model's
action space (deepracer_common.action_space, the one definition).

Model folders come in two layouts:
- a training model folder (`deepracer train`): model/model_metadata.json + model/<N>_Step-<steps>.ckpt,
  and export/model.onnx once exported;
- a car model folder (the tarball `deepracer export` writes, unpacked on the car):
  model_metadata.json + model.onnx side by side.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from deepracer_common import model_files
from deepracer_common.model_metadata import ModelMetadata, ModelMetadataError

BACKENDS = ("auto", "torch", "onnx")


class PolicyLoadError(ValueError):
    """A model folder cannot be turned into a policy; the message names the folder and what is missing."""


@dataclass
class Decision:
    action: Any  # int index (discrete) or (2,) float32 normalised action (continuous), as sampled
    log_prob: float
    probabilities: np.ndarray  # (n,) discrete probabilities, or the (2,) action clipped to [-1, 1]
    steering_angle: float  # degrees, positive = left
    speed: float  # m/s


def torch_available() -> bool:
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


class TorchPolicy:
    """A checkpoint's policy tower through the agent core (deepracer_agent.policy.torch_policy)."""

    backend = "torch"

    def __init__(self, folder: Path, checkpoint: str | None = None):
        import torch

        from deepracer_agent.model.folder import ModelError
        from deepracer_agent.policy.torch_policy import PolicyRunner

        self._torch = torch
        try:
            runner = PolicyRunner.from_model(folder, checkpoint or None)
        except ModelError as error:
            raise PolicyLoadError(str(error)) from None
        self.runner = runner
        self.metadata: ModelMetadata = runner.metadata
        self.keys = runner.keys
        self.name = runner.name
        torch.set_num_threads(1)  # one step at a time: threads only add scheduling noise on a small CNN

    @classmethod
    def from_network(cls, model, metadata: ModelMetadata, name: str = "training") -> "TorchPolicy":
        """Wrap a live network (training mode acts with the network it is updating)."""
        import torch

        from deepracer_agent.policy.torch_policy import PolicyRunner

        policy = cls.__new__(cls)
        policy._torch = torch
        policy.runner = PolicyRunner(model, metadata, name=name)
        policy.metadata = metadata
        policy.keys = policy.runner.keys
        policy.name = name
        return policy

    def decide(self, observation: Mapping[str, np.ndarray], deterministic: bool) -> Decision:
        torch = self._torch
        space = self.metadata.action_space
        with torch.inference_mode():
            batch = {key: torch.from_numpy(np.ascontiguousarray(observation[key])[None]) for key in self.keys}
            # One forward pass for the action, its log-probability and the probabilities shown on the topic.
            dist = self.runner.model.policy.distribution(batch)
            if space.type == "discrete":
                probabilities = dist.probs[0]
                chosen = probabilities.argmax() if deterministic else dist.sample()[0]
                log_prob = float(dist.log_prob(chosen.reshape(1))[0])
                action = int(chosen)
                shown = probabilities.numpy()
            else:
                sample = dist.mean if deterministic else dist.sample()
                log_prob = float(dist.log_prob(sample).sum(-1)[0])
                action = sample[0].numpy().astype(np.float32)
                shown = np.clip(action, -1.0, 1.0)
        steering, speed = space.command(int(action) if space.type == "discrete" else shown)
        return Decision(action, log_prob, shown.astype(np.float32), float(steering), float(speed))


class OnnxPolicy:
    """The exported policy tower run by onnxruntime (the car has no torch).

    The graph outputs probabilities (discrete) or the action mean (continuous); it has no
    log-std, so a continuous ONNX policy can only act deterministically.
    """

    backend = "onnx"

    def __init__(self, folder: Path):
        try:
            import onnxruntime
        except ImportError:
            raise PolicyLoadError("neither torch nor onnxruntime is installed: cannot run a policy") from None
        onnx_path = model_files.find_onnx(folder)
        if onnx_path is None:
            raise PolicyLoadError(f"{folder}: no model.onnx (looked in {folder} and {folder / 'export'})")
        try:
            self.metadata = model_files.load_metadata(folder)
        except ModelMetadataError as error:
            raise PolicyLoadError(str(error)) from None
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        try:
            self.session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own exception types for corrupt files
            raise PolicyLoadError(f"{onnx_path}: cannot load ONNX model ({error})") from None
        self.keys = [i.name for i in self.session.get_inputs()]
        self.name = str(onnx_path)
        self._rng = np.random.default_rng()

    def decide(self, observation: Mapping[str, np.ndarray], deterministic: bool) -> Decision:
        space = self.metadata.action_space
        feed = {key: np.asarray(observation[key], dtype=np.float32)[None] for key in self.keys}
        (output,) = self.session.run(["policy"], feed)
        output = output[0].astype(np.float64)
        if space.type == "discrete":
            probabilities = output / output.sum()
            action = int(np.argmax(probabilities)) if deterministic else int(self._rng.choice(len(probabilities),
                                                                                               p=probabilities))
            steering, speed = space.command(action)
            return Decision(action, float(np.log(probabilities[action])), output.astype(np.float32),
                            float(steering), float(speed))
        action = np.clip(output, -1.0, 1.0).astype(np.float32)
        steering, speed = space.command(action)
        return Decision(action, 0.0, action, float(steering), float(speed))


def load_policy(model_path: str, backend: str = "auto", checkpoint: str | None = None):
    """A policy for a model folder; PolicyLoadError (never another exception type) when it cannot be had."""
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
        return TorchPolicy(folder, checkpoint)
    return OnnxPolicy(folder)
