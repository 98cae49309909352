"""Export a model's policy to ONNX, and a car-style .tar.gz.

The DeepRacer car installs `model.pb` (a frozen TensorFlow graph) plus `model_metadata.json`.
A frozen TF graph cannot be produced without TensorFlow, which this project does not use, so the
tarball carries `model.onnx` instead, with `model_metadata.json` and `checksum.txt` (MD5 of the
network file, as the car's model loader expects) at the top level.

The ONNX graph is the policy tower only. Inputs are named after the sensors and take float32 pixel
values 0..255 in (N, 120, 160, C) layout, like the car's camera frames (the /255 is inside the graph);
a LIDAR input is (N, k). The output `policy` holds the action probabilities (discrete) or the
action mean in [-1, 1] space (continuous), like the simulator's frozen `ppo_head_0/policy` tensor.
"""
from __future__ import annotations

import hashlib
import io
import os
import tarfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from deepracer_agent.model.folder import ModelFolder
from deepracer_agent.rl.torch_backend import actor_critic_from_payload
from deepracer_common.atomic import write_bytes_atomic

ONNX_OPSET = 17


class ExportError(RuntimeError):
    """The exported network does not reproduce the torch policy."""


class _PositionalPolicy(torch.nn.Module):
    """The policy with one positional input per sensor, as ONNX wants it."""

    def __init__(self, policy: torch.nn.Module, keys: list[str]):
        super().__init__()
        self.policy = policy
        self.keys = keys

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.policy(dict(zip(self.keys, inputs)))


def sample_inputs(spec, batch: int, seed: int = 0) -> dict[str, np.ndarray]:
    generator = np.random.default_rng(seed)
    inputs = {}
    for key, shape in spec.items():
        if len(shape) == 3:
            inputs[key] = generator.integers(0, 256, size=(batch, *shape)).astype(np.float32)
        else:
            inputs[key] = generator.uniform(0.0, 1.0, size=(batch, *shape)).astype(np.float32)
    return inputs


def export_onnx(
    folder: ModelFolder, checkpoint: str | int | None = None, output: str | os.PathLike | None = None,
    verify: bool = True, tolerance: float = 1e-4,
) -> dict[str, Any]:
    """Write the policy of a checkpoint as ONNX; with `verify`, compare onnxruntime against torch."""
    payload = folder.load_checkpoint(checkpoint)
    model, _ = actor_critic_from_payload(payload)
    keys = list(model.spec)
    wrapper = _PositionalPolicy(model.policy, keys).eval()
    example = tuple(torch.from_numpy(v) for v in sample_inputs(model.spec, 1).values())
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            wrapper,
            example,
            buffer,
            dynamo=False,
            input_names=keys,
            output_names=["policy"],
            dynamic_axes={**{key: {0: "batch"} for key in keys}, "policy": {0: "batch"}},
            opset_version=ONNX_OPSET,
        )
    output = Path(output) if output else folder.export_dir / "model.onnx"
    write_bytes_atomic(output, buffer.getvalue())
    result: dict[str, Any] = {"path": str(output), "checkpoint": payload.get("name"), "inputs": keys}
    if verify:
        result["max_abs_difference"] = verify_onnx(output, model, tolerance)
    return result


def verify_onnx(path: str | os.PathLike, model, tolerance: float = 1e-4, batch: int = 4) -> float:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    inputs = sample_inputs(model.spec, batch, seed=1)
    (onnx_output,) = session.run(["policy"], inputs)
    with torch.no_grad():
        torch_output = model.policy({k: torch.from_numpy(v) for k, v in inputs.items()}).numpy()
    difference = float(np.max(np.abs(onnx_output - torch_output)))
    if not np.isfinite(difference) or difference > tolerance:
        raise ExportError(f"{path}: onnxruntime output differs from torch by {difference:.3g} (> {tolerance:g})")
    return difference


def export_tarball(
    folder: ModelFolder, checkpoint: str | int | None = None, output: str | os.PathLike | None = None
) -> dict[str, Any]:
    """<model>.tar.gz with model.onnx, model_metadata.json and checksum.txt at the top level."""
    onnx_path = folder.export_dir / "model.onnx"
    result = export_onnx(folder, checkpoint, onnx_path)
    network = onnx_path.read_bytes()
    members = {
        "model.onnx": network,
        "model_metadata.json": folder.metadata_path.read_bytes(),
        "checksum.txt": (hashlib.md5(network).hexdigest() + "\n").encode(),
    }
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = int(time.time())
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    output = Path(output) if output else folder.export_dir / f"{folder.name}.tar.gz"
    write_bytes_atomic(output, archive.getvalue())
    result.update(tarball=str(output), members=sorted(members))
    return result
