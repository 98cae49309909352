"""`deepracer garage`, `deepracer templates`, `deepracer validate`: the vehicle and the reward function."""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from deepracer_agent.commands.options import CommandError, add_vehicle_options, vehicle_overrides


def garage_command(args: argparse.Namespace) -> int:
    from deepracer_agent.garage import Vehicle
    from deepracer_common.race import WORKSHOP_ACTION_SPACE

    vehicle = Vehicle.from_dict(vehicle_overrides(args, {"action_space": WORKSHOP_ACTION_SPACE}))
    if args.json:
        print(json.dumps(vehicle.metadata().to_dict(), indent=2))
    else:
        print("\n".join(vehicle.describe()))
    return 0


def templates_command(args: argparse.Namespace) -> int:
    from deepracer_agent.reward_files import list_templates, resolve_reward_source

    if not args.name:
        for name, summary in list_templates().items():
            print(f"{name:<20} {summary}")
        return 0
    source = resolve_reward_source(f"template:{args.name}")
    if args.copy:
        target = Path(args.copy)
        if target.is_dir():
            target = target / source.name
        if target.exists() and not args.force:
            raise CommandError(f"{target} exists; add --force to overwrite it")
        shutil.copyfile(source, target)
        print(f"copied {source.name} to {target}")
    else:
        print(source.read_text(), end="")
    return 0


def validate_command(args: argparse.Namespace) -> int:
    from deepracer_agent.reward_files import validate_reward_file

    report = validate_reward_file(args.reward, track=args.track, time_limit_s=args.time_limit)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    elif report.ok:
        low, high = min(report.rewards), max(report.rewards)
        print(f"OK: {report.path} ran on {report.samples} sample params from {report.track} "
              f"(rewards from {low:g} to {high:g})")
    else:
        print(f"{report.path}: {len(report.problems)} problem(s)", file=sys.stderr)
        for problem in report.problems:
            print(f"  - {problem}", file=sys.stderr)
    return 0 if report.ok else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    garage = subparsers.add_parser("garage", help="show a vehicle: sensors, network and the action list")
    add_vehicle_options(garage)
    garage.add_argument("--json", action="store_true", help="print the model_metadata.json it gives")
    garage.set_defaults(handler=garage_command)

    templates = subparsers.add_parser("templates", help="list, show or copy the example reward functions")
    templates.add_argument("name", nargs="?", help="template to show (omit to list them)")
    templates.add_argument("--copy", metavar="DEST", help="copy the template to a file or folder")
    templates.add_argument("--force", action="store_true", help="overwrite DEST")
    templates.set_defaults(handler=templates_command)

    validate = subparsers.add_parser("validate", help="check a reward function like the console's Validate button")
    validate.add_argument("reward", help="reward function file (or template:<name>)")
    validate.add_argument("--track", help="track for the sample params (default crescent_loop)")
    validate.add_argument("--time-limit", type=float, default=None, help="seconds per call (default 5)")
    validate.add_argument("--json", action="store_true")
    validate.set_defaults(handler=validate_command)
