"""`deepracer evaluate` and `deepracer analyze`: racing a trained model and reading its logs."""
from __future__ import annotations

import argparse
import json

from deepracer_agent.commands.options import add_models_root
from deepracer_common.race import RACE_TYPES


def evaluate_command(args: argparse.Namespace) -> int:
    from deepracer_agent.evaluation import evaluate_model

    result = evaluate_model(
        args.model, track=args.track, laps=args.laps, off_track_penalty=args.off_track_penalty,
        collision_penalty=args.collision_penalty, checkpoint=args.checkpoint, reverse=args.reverse,
        continuous=args.continuous, race_type=args.race_type, models_root=args.models_root,
    )
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print_table(result)
    return 0


def print_table(result, console=None) -> None:
    """An EvaluationResult as the table `deepracer evaluate` prints."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    title = f"{result.model} ({result.checkpoint}) on {result.track}{' reversed' if result.reverse else ''}"
    table = Table(title=title)
    for column in ("lap", "time (s)", "progress (%)", "off-track", "crashes", "resets", "status"):
        table.add_column(column, justify="right" if column != "status" else "left")
    for lap in result.laps:
        table.add_row(
            str(lap.lap),
            f"{lap.lap_time:.3f}" if lap.lap_time is not None else "-",
            f"{lap.progress:.1f}",
            str(lap.off_track_count),
            str(lap.crash_count),
            str(lap.reset_count),
            lap.status,
        )
    console.print(table)
    summary = result.to_dict()
    best = f"{summary['best_lap_time']:.3f} s" if summary["best_lap_time"] is not None else "-"
    console.print(f"completed {summary['completed_laps']}/{summary['total_laps']} laps, best lap {best}")
    if result.evaluation_dir:
        console.print(f"sim-trace: {result.evaluation_dir}/evaluation-simtrace/0-iteration.csv")


def analyze_command(args: argparse.Namespace) -> int:
    from deepracer_agent.analysis import analyze, print_report

    report = analyze(args.model, models_root=args.models_root, out_dir=args.out)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print_report(report)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    evaluate = subparsers.add_parser("evaluate", help="race a model round a track with the deterministic policy")
    evaluate.add_argument("model", help="model name or folder")
    evaluate.add_argument("--track", help="track (default: the one it was trained on)")
    evaluate.add_argument("--laps", type=int, default=3, help="laps (trials) to drive (default 3)")
    evaluate.add_argument("--off-track-penalty", type=float, metavar="S",
                          help="put the car back after leaving the track, with S seconds of penalty")
    evaluate.add_argument("--collision-penalty", type=float, metavar="S", help="penalty after a crash (default: the off-track one)")
    evaluate.add_argument("--checkpoint", help="best (default), last, a number or a checkpoint name")
    evaluate.add_argument("--reverse", action="store_true", help="drive the track the other way")
    evaluate.add_argument("--continuous", action="store_true", help="all laps in one episode")
    evaluate.add_argument("--race-type", choices=RACE_TYPES,
                          help="default: the race type the model trained for")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    add_models_root(evaluate)
    evaluate.set_defaults(handler=evaluate_command)

    analyze = subparsers.add_parser("analyze", help="plot reward and progress, draw the best laps")
    analyze.add_argument("model", help="model name or folder")
    analyze.add_argument("--out", help="folder for the PNGs (default <model>/analysis)")
    analyze.add_argument("--json", action="store_true")
    add_models_root(analyze)
    analyze.set_defaults(handler=analyze_command)
