"""`deepracer gazebo ...`: generate and check the Gazebo (gz-sim) worlds and car models."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "gazebo",
        help="generate Gazebo (gz-sim Harmonic) worlds and car models from tracks",
        description="Gazebo worlds and the DeepRacer car model, generated from our tracks.",
    )
    commands = parser.add_subparsers(dest="gazebo_command", metavar="SUBCOMMAND")
    worlds = commands.add_parser(
        "worlds",
        help="(re)generate worlds/<track>.sdf, worlds/models/<track>_track and the car models",
        description="Write a gz-sim world per track and the car models. Without --track, every "
        "shipped track; a track is a shipped name or a route .npy path (e.g. an AWS route file).",
    )
    worlds.add_argument("--track", action="append", metavar="NAME_OR_NPY",
                        help="track to generate (repeatable); default: every shipped track")
    worlds.add_argument("--out", type=Path, default=None,
                        help="worlds folder to write (default: the checkout's worlds/)")
    worlds.add_argument("--walls", action="store_true",
                        help="add low barriers outside the border lines (as the embedded simulator's walls option)")
    worlds.add_argument("--check", action="store_true",
                        help="afterwards load every written world and model with libsdformat12")
    worlds.set_defaults(handler=run_worlds)
    check = commands.add_parser(
        "check", help="load SDF files with libsdformat12 and print any error",
        description="Load worlds and models with the official SDF parser (needs libsdformat-dev and g++).",
    )
    check.add_argument("files", nargs="*", type=Path, help="SDF files (default: every world and model in worlds/)")
    check.add_argument("--models", type=Path, action="append", default=None,
                       help="folder that model:// URIs resolve against (default: <worlds>/models)")
    check.set_defaults(handler=run_check)
    parser.set_defaults(handler=lambda args: (parser.print_help(), 2)[1])


def _worlds_dir(out: Path | None) -> Path:
    from deepracer_sim.gazebo.generate import repo_worlds_dir

    folder = out or repo_worlds_dir()
    if folder is None:
        raise ValueError("not running from a source checkout; pass --out to say where the worlds go")
    return folder


def run_worlds(args: argparse.Namespace) -> int:
    from deepracer_sim.gazebo.generate import all_files, write_files

    out = _worlds_dir(args.out)
    files = all_files(args.track, walls=args.walls)
    changed = write_files(out, files)
    worlds = sorted(p for p in files if p.endswith(".sdf") and "/" not in p)
    print(f"{len(worlds)} world(s), {len(files)} file(s) in {out}; {len(changed)} changed")
    for world in worlds:
        print(f"  {out / world}")
    if args.check:
        return _check([out / p for p in sorted(files) if p.endswith(".sdf")], [out / "models"])
    return 0


def _check(paths: list[Path], model_dirs: list[Path]) -> int:
    from deepracer_sim.gazebo.sdf_check import CheckerUnavailable, check_files

    try:
        reports = check_files(paths, model_dirs)
    except CheckerUnavailable as error:
        raise ValueError(str(error)) from None
    failed = 0
    for report in reports:
        if report.errors:
            failed += 1
            print(f"FAIL {report.path}", file=sys.stderr)
            for message in report.errors:
                print(f"  {message}", file=sys.stderr)
    print(f"libsdformat12: {len(reports) - failed} of {len(reports)} file(s) load without errors")
    return 1 if failed else 0


def run_check(args: argparse.Namespace) -> int:
    worlds = _worlds_dir(None) if not args.files or not args.models else None
    files = args.files or sorted(worlds.glob("*.sdf")) + sorted(worlds.glob("models/*/model.sdf"))
    models = args.models or [worlds / "models"]
    if not files:
        raise ValueError(f"no SDF files found in {worlds}")
    return _check(files, models)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deepracer_sim.gazebo")
    register(parser.add_subparsers(dest="command", metavar="COMMAND"))
    args = parser.parse_args(["gazebo", *(argv if argv is not None else sys.argv[1:] or ["worlds"])])
    try:
        return int(args.handler(args) or 0)
    except ValueError as error:
        print(f"deepracer gazebo: {error}", file=sys.stderr)
        return 1
