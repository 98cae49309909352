"""The onnxruntime backend of the policy runner: an exported model.onnx (deepracer_agent.model.export).

The graph is the policy tower: inputs named after the sensors, float32 (camera pixels 0..255), and
one output `policy` with the action probabilities (discrete) or the action mean (continuous). It
carries no log-std, so a continuous ONNX policy acts with its mean only.
"""
from __future__ import annotations

import os
from typing import Any, Mapping

import numpy as np


class OnnxBackend:
    kind = "onnx"

    def __init__(self, path: str | os.PathLike, threads: int | None = None):
        """ImportError without onnxruntime; onnxruntime's own exception types for a file it cannot load."""
        import onnxruntime

        options = onnxruntime.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.keys = [i.name for i in self.session.get_inputs()]

    def forward(self, observations: Mapping[str, Any]) -> np.ndarray:
        feed = {key: np.asarray(observations[key], dtype=np.float32) for key in self.keys}
        (output,) = self.session.run(["policy"], feed)
        return output

    def log_std(self) -> np.ndarray | None:
        return None
