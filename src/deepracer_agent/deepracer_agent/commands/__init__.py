"""The agent's `deepracer` subcommands, one module per command group:

    garage    garage, templates, validate       the vehicle and the reward function
    train     train (--resume, --clone)         training a model
    evaluate  evaluate, analyze                 racing a model, reading its logs
    models    models list|show|clone|delete|export|use-checkpoint
    demo      demo                              `make demo`: train, evaluate, analyze end to end

deepracer_bringup.cli registers them through `register(subparsers)`. Handlers return an exit code;
expected failures raise ValueError subclasses (CommandError among them), which the CLI prints as
one line.
"""
from __future__ import annotations

import argparse

from deepracer_agent.commands import demo, evaluate, garage, models, train
from deepracer_agent.commands.options import CommandError

__all__ = ["register", "CommandError"]

# In the order `deepracer --help` lists them.
COMMAND_GROUPS = (garage, train, evaluate, models, demo)


def register(subparsers: argparse._SubParsersAction) -> None:
    for group in COMMAND_GROUPS:
        group.register(subparsers)
