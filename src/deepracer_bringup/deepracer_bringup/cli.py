"""`deepracer`: the one command line for users who never touch ROS.

Each package contributes its subcommands through a `register(subparsers)`
function, so a command lives next to the code it drives; this module only
gathers them. A command handler takes the parsed arguments and returns an exit
code; expected failures raise a ValueError (each package has its own
subclasses) and print one line, not a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

# Modules that add subcommands, in the order `deepracer --help` lists them.
COMMAND_MODULES = (
    "deepracer_agent.commands",
    "deepracer_sim.cli",
    "deepracer_sim.gazebo.cli",
    "deepracer_bringup.sim_up",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deepracer",
        description="Train, evaluate and race AWS DeepRacer models on a laptop CPU.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            # A module that is not written yet (or whose optional dependency is absent,
            # such as rclpy for `deepracer sim`) must not take the other commands down.
            if error.name and (module_name.startswith(error.name) or error.name == "rclpy"):
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("deepracer: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `deepracer ... | head` closed our stdout: not an error of ours. Point stdout at
        # /dev/null so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (ValueError, FileNotFoundError) as error:
        if os.environ.get("DEEPRACER_DEBUG"):
            raise
        print(f"deepracer {args.command}: {error}", file=sys.stderr)
        return 1

