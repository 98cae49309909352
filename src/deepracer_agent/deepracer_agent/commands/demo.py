"""`deepracer demo` (run by `make demo`): the workshop's first model, end to end.

Trains a 3-layer-CNN camera model with the workshop's action space (30° in 5 steps, 1 m/s in 3
steps) and the centre-line example reward on crescent_loop, our re:Invent 2018-sized track, until
an iteration's evaluation completes 3 of 3 laps or the time cap; then evaluates 3 laps from the
start line, writes the analysis plots and prints where everything is. The tuned values it trains
with (fewer epochs, larger batches, 16 episodes per iteration) are in configs/demo.json; the
console's defaults stay the defaults of `deepracer train`.
"""
from __future__ import annotations

import argparse
import time

from deepracer_agent.commands.options import add_models_root


def run_demo(models_root: str | None = None, model: str | None = None, max_minutes: float | None = None,
             config: str | None = None, show_progress: bool = True) -> int:
    from deepracer_agent.analysis import analyze, print_report
    from deepracer_agent.commands.evaluate import print_table
    from deepracer_agent.evaluation import evaluate_model
    from deepracer_agent.model.folder import ModelFolder
    from deepracer_agent.model.folder import models_root as resolve_root
    from deepracer_agent.training.config import TrainingConfig, packaged_config
    from deepracer_agent.training.trainer import Trainer

    path = packaged_config(config or "demo") if not config or not config.endswith((".json", ".yaml")) else config
    data = TrainingConfig.load(path).to_dict()
    root = resolve_root(models_root)
    name = model or data["model"]
    if model is None and (root / name).exists():
        name = f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    data["model"] = name
    if max_minutes is not None:
        data["stop"]["max_minutes"] = max_minutes
    settings = TrainingConfig.from_dict(data, where=str(path))
    folder = ModelFolder(root / name)

    print(f"deepracer demo: training {name!r} on {settings.track} with the workshop action space and the "
          f"centre-line reward (stops at {settings.stop.eval_complete_laps}/{settings.training.eval_episodes} "
          f"evaluation laps or after {settings.stop.max_minutes:g} min)", flush=True)
    summary = Trainer(settings, folder, show_progress=show_progress).run()
    reports = summary.reports
    print(f"\ntraining stopped: {summary.stop_reason}")
    print(f"  {summary.seconds:.0f} s wall clock, {summary.iterations} iterations, {summary.episodes} episodes, "
          f"{summary.steps} steps")
    if reports:
        collect = sum(r.seconds_collect for r in reports)
        update = sum(r.seconds_update for r in reports)
        evaluate = sum(r.seconds_eval for r in reports)
        print(f"  time in collection {collect:.0f} s, PPO updates {update:.0f} s, evaluation {evaluate:.0f} s")

    print("\nevaluating 3 laps with the best checkpoint:")
    result = evaluate_model(name, laps=3, models_root=str(root))
    print_table(result)

    print("\nanalysis:")
    report = analyze(name, models_root=str(root))
    print_report(report)

    print("\nwhere everything is:")
    print(f"  model folder      {folder.path}")
    print(f"  model metadata    {folder.metadata_path}")
    print(f"  checkpoints       {folder.model_dir} (best {summary.best_checkpoint})")
    print(f"  training traces   {folder.simtrace_dir}")
    print(f"  metrics           {folder.training_metrics_path}")
    print(f"  evaluation        {result.evaluation_dir}")
    print(f"  plots             {folder.plots_dir}")
    goal = result.completed == len(result.laps)
    print(f"\n{'done' if goal else 'not there yet'}: the model completed {result.completed} of {len(result.laps)} "
          f"evaluation laps" + ("" if goal else "; train longer with `deepracer train --resume --model " + name + "`"))
    return 0


def demo_command(args: argparse.Namespace) -> int:
    return run_demo(models_root=args.models_root, model=args.model, max_minutes=args.max_minutes,
                    config=args.config, show_progress=not args.no_progress)


def register(subparsers: argparse._SubParsersAction) -> None:
    demo = subparsers.add_parser("demo", help="train, evaluate and analyze the workshop model end to end")
    demo.add_argument("--model", default=None, help="model name (default demo-<timestamp>)")
    demo.add_argument("--max-minutes", type=float, default=None, help="time cap for training (default from the config)")
    demo.add_argument("--config", default=None, help="training config (default deepracer_agent/configs/demo.json)")
    demo.add_argument("--no-progress", action="store_true")
    add_models_root(demo)
    demo.set_defaults(handler=demo_command)
