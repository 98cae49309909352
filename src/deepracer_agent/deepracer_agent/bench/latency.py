"""Benchmark: policy latency on one 160×120 camera frame on one core, torch and onnxruntime.

    python -m deepracer_agent.bench.latency [--model NAME] [--network 3-layer|5-layer] [--runs 300]

Without --model an untrained network of the chosen kind is timed (weights do not change the
cost). Prints the median (and 90th percentile) milliseconds per frame for the torch policy tower
and for its ONNX export in onnxruntime, both limited to one thread.
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path


def _time(function, runs: int, warmup: int = 20) -> tuple[float, float]:
    for _ in range(warmup):
        function()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000.0)
    samples.sort()
    return statistics.median(samples), samples[int(0.9 * (len(samples) - 1))]


def main(argv: list[str] | None = None) -> int:
    import numpy as np
    import onnxruntime
    import torch

    from deepracer_agent.garage import network_name
    from deepracer_agent.model.export import export_onnx, sample_inputs
    from deepracer_agent.model.folder import CheckpointName, ModelFolder
    from deepracer_agent.rl.torch_backend import actor_critic_from_payload, checkpoint_payload
    from deepracer_agent.rl.networks import ActorCritic
    from deepracer_common.model_metadata import ModelMetadata
    from deepracer_common.race import workshop_action_space

    parser = argparse.ArgumentParser(prog="python -m deepracer_agent.bench.latency", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="a trained model (name or folder); default: an untrained network")
    parser.add_argument("--network", default="3-layer CNN")
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--models-root", default=None)
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as scratch:
        if args.model:
            folder = ModelFolder.resolve(args.model, args.models_root)
        else:
            metadata = ModelMetadata(action_space=workshop_action_space(), neural_network=network_name(args.network))
            model = ActorCritic.for_metadata(metadata)
            folder = ModelFolder(Path(scratch) / "untrained")
            folder.write_metadata(metadata)
            name = CheckpointName(0, 0)
            folder.save_checkpoint(name, checkpoint_payload(model, metadata, name))
        payload = folder.load_checkpoint()
        model, metadata = actor_critic_from_payload(payload)
        onnx_path = Path(scratch) / "policy.onnx"
        export_onnx(folder, output=onnx_path)
        inputs = sample_inputs(model.spec, 1, seed=3)
        frames = {key: torch.from_numpy(value.astype(np.uint8) if value.ndim == 4 else value) for key, value in inputs.items()}
        policy = model.policy.eval()

        def run_torch():
            with torch.no_grad():
                policy(frames)

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])

        def run_onnx():
            session.run(["policy"], inputs)

        torch_median, torch_p90 = _time(run_torch, args.runs)
        onnx_median, onnx_p90 = _time(run_onnx, args.runs)
    report = {
        "network": metadata.neural_network,
        "model": args.model or "untrained",
        "frame": "120x160x1",
        "threads": 1,
        "torch_median_ms": round(torch_median, 3),
        "torch_p90_ms": round(torch_p90, 3),
        "onnxruntime_median_ms": round(onnx_median, 3),
        "onnxruntime_p90_ms": round(onnx_p90, 3),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
