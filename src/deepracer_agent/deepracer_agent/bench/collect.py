"""Benchmark: seconds the trainer spends collecting episodes, per iteration.

    python -m deepracer_agent.bench.collect [--config demo] [--iterations 3] [--runs 1] [--models-root DIR]

Trains a packaged configuration (default configs/demo.json: 8 simulators, 16 episodes per
iteration) for a few iterations in a temporary models folder and prints, per iteration, the
collection time, the steps collected and steps per second, then the medians. Early iterations
of an untrained policy have short episodes, so the figures compare code, not training progress:
compare runs with the same config, seed and iteration count.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time


def main(argv: list[str] | None = None) -> int:
    from deepracer_agent.model.folder import ModelFolder
    from deepracer_agent.training.config import TrainingConfig, packaged_config
    from deepracer_agent.training.trainer import Trainer

    parser = argparse.ArgumentParser(prog="python -m deepracer_agent.bench.collect", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="demo")
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--runs", type=int, default=1, help="trainings from scratch; the medians pool their iterations")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="torch threads (default: the config's); 1 keeps a busy machine from stalling torch's "
                             "thread pool, which swamps what the collection code costs")
    parser.add_argument("--models-root", default=None, help="where the throw-away models go (default: a temporary folder)")
    args = parser.parse_args(argv)

    # CPU seconds of this process (every thread) spent in Trainer.collect: on a shared machine the
    # wall clock also counts the time other processes held the cores.
    cpu_collect: list[float] = []
    collect = Trainer.collect

    def timed_collect(self, *collect_args, **collect_kwargs):
        started = time.process_time()
        try:
            return collect(self, *collect_args, **collect_kwargs)
        finally:
            cpu_collect.append(time.process_time() - started)

    Trainer.collect = timed_collect
    data = TrainingConfig.load(packaged_config(args.config)).to_dict()
    data["stop"] = {"max_iterations": args.iterations, "max_minutes": None, "eval_complete_laps": None}
    if args.torch_threads is not None:
        data["training"]["torch_threads"] = args.torch_threads
    per_iteration = []
    with tempfile.TemporaryDirectory(dir=args.models_root) as root:
        for run in range(args.runs):
            data["model"] = f"bench-collect-{run}"
            config = TrainingConfig.from_dict(data)
            load_before = os.getloadavg()[0]
            summary = Trainer(config, ModelFolder(os.path.join(root, config.model)), show_progress=False,
                              echo=lambda text: None).run()
            for report, cpu in zip(summary.reports, cpu_collect[-len(summary.reports):]):
                per_iteration.append({
                    "run": run,
                    "iteration": report.iteration,
                    "steps": report.steps,
                    "seconds_collect": round(report.seconds_collect, 2),
                    "cpu_seconds_collect": round(cpu, 2),
                    "steps_per_second": round(report.steps / report.seconds_collect, 1),
                    "seconds_update": round(report.seconds_update, 2),
                    "seconds_eval": round(report.seconds_eval, 2),
                })
            print(f"run {run}: load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after", flush=True)
    for row in per_iteration:
        print(json.dumps(row))
    print(json.dumps({
        "config": args.config,
        "torch_threads": data["training"].get("torch_threads"),
        "iterations": len(per_iteration),
        "median_seconds_collect": round(statistics.median(r["seconds_collect"] for r in per_iteration), 2),
        "median_cpu_seconds_collect": round(statistics.median(r["cpu_seconds_collect"] for r in per_iteration), 2),
        "median_steps_per_second": round(statistics.median(r["steps_per_second"] for r in per_iteration), 1),
        "median_steps_per_cpu_second": round(statistics.median(r["steps"] / r["cpu_seconds_collect"]
                                                                for r in per_iteration), 1),
        "median_seconds_eval": round(statistics.median(r["seconds_eval"] for r in per_iteration), 2),
        "cpu_count": os.cpu_count(),
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
