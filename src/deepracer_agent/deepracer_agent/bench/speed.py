"""Benchmark: the best evaluation lap time after a fixed training time with a fast action space.

    python -m deepracer_agent.bench.speed [--minutes 10] [--models-root DIR] [--config speed]

Trains configs/speed.json (crescent_loop, 30° in 5 steps and up to 4 m/s in 3 steps, the
progress-per-step reward with a lap bonus, best checkpoint by lap time) for the given minutes,
then races the best checkpoint for 3 laps from the start line and prints the lap times, the best
lap seen in the per-iteration evaluations, and how the time was spent.
"""
from __future__ import annotations

import argparse
import json
import time


def main(argv: list[str] | None = None) -> int:
    from deepracer_agent.evaluation import evaluate_model
    from deepracer_agent.model.folder import ModelFolder, models_root
    from deepracer_agent.training.config import TrainingConfig, packaged_config
    from deepracer_agent.training.trainer import Trainer

    parser = argparse.ArgumentParser(prog="python -m deepracer_agent.bench.speed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--config", default="speed")
    parser.add_argument("--models-root", default=None)
    parser.add_argument("--model", default=None)
    args = parser.parse_args(argv)

    data = TrainingConfig.load(packaged_config(args.config)).to_dict()
    data["stop"]["max_minutes"] = args.minutes
    data["model"] = args.model or f"speed-{time.strftime('%Y%m%d-%H%M%S')}"
    config = TrainingConfig.from_dict(data)
    root = models_root(args.models_root)
    started = time.monotonic()
    summary = Trainer(config, ModelFolder(root / config.model), show_progress=False).run()
    seconds = time.monotonic() - started
    seen = [r.eval_best_lap_time for r in summary.reports if r.eval_best_lap_time is not None]
    result = evaluate_model(config.model, laps=3, models_root=str(root))
    report = {
        "model": config.model,
        "track": config.track,
        "training_minutes": round(seconds / 60.0, 2),
        "iterations": summary.iterations,
        "episodes": summary.episodes,
        "steps": summary.steps,
        "best_checkpoint": summary.best_checkpoint,
        "best_lap_during_training_s": min(seen) if seen else None,
        "evaluation_lap_times_s": [lap.lap_time for lap in result.laps],
        "evaluation_completed": f"{result.completed}/{len(result.laps)}",
        "best_evaluation_lap_s": min(result.lap_times) if result.lap_times else None,
        "seconds_collect": round(sum(r.seconds_collect for r in summary.reports), 1),
        "seconds_update": round(sum(r.seconds_update for r in summary.reports), 1),
        "seconds_eval": round(sum(r.seconds_eval for r in summary.reports), 1),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
