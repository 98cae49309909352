"""`deepracer train` (with --resume and --clone) and `deepracer models clone`: training a model."""
from __future__ import annotations

import argparse
import sys

from deepracer_agent.commands.options import CommandError, add_training_options, training_config


def train_command(args: argparse.Namespace) -> int:
    from deepracer_agent.model.folder import ModelFolder, models_root, validate_model_name
    from deepracer_agent.training.config import TrainingConfig
    from deepracer_agent.training.trainer import Trainer

    if args.resume:
        if not args.model and not args.config:
            raise CommandError("--resume needs --model NAME (the model to continue)")
        name = args.model or training_config(args).model
        folder = ModelFolder(models_root(args.models_root) / validate_model_name(name))
        if not folder.exists():
            raise CommandError(f"cannot resume {name!r}: {folder.path} is not a model folder")
        base = TrainingConfig.from_model_folder(folder).to_dict()
        config = training_config(argparse.Namespace(**{**vars(args), "config": None}), base)
    elif getattr(args, "clone_from", None) and not args.config:
        if not args.model:
            raise CommandError("--clone needs --model NAME for the new model")
        source = ModelFolder.resolve(args.clone_from, args.models_root)
        base = clone_base(source, args.model, bool(args.reward_function))
        config = training_config(args, base)
        folder = ModelFolder(models_root(args.models_root) / validate_model_name(config.model))
    else:
        config = training_config(args)
        folder = ModelFolder(models_root(args.models_root) / validate_model_name(config.model))
    clone = getattr(args, "clone_from", None)
    trainer = Trainer(config, folder, resume=args.resume, show_progress=False if args.no_progress else None,
                      clone_from=clone, clone_checkpoint=getattr(args, "clone_checkpoint", None),
                      models_root=args.models_root)
    try:
        summary = trainer.run()
    except KeyboardInterrupt:
        print(f"\ninterrupted: every complete iteration of {folder.name!r} is saved; continue with "
              f"`deepracer train --resume --model {folder.name}`", file=sys.stderr)
        return 130
    print(f"stopped: {summary.stop_reason}")
    print(f"model {summary.model}: {summary.iterations} iterations, {summary.episodes} episodes, "
          f"{summary.steps} steps in {summary.seconds / 60.0:.1f} min")
    print(f"best checkpoint {summary.best_checkpoint}, last {summary.last_checkpoint}; folder {summary.path}")
    if clone:
        print(f"(cloned from {clone})")
    return 0


def clone_base(source, name: str, reward_given: bool) -> dict:
    """The training configuration a clone starts from: its source's, under the new name."""
    from deepracer_agent.garage import Vehicle
    from deepracer_agent.training.config import SAVED_ONLY_KEYS

    base = source.training_config() or {"vehicle": Vehicle.from_metadata(source.metadata()).to_dict()}
    for key in SAVED_ONLY_KEYS:
        base.pop(key, None)
    base["model"] = name
    # The clone keeps the source's vehicle unless flags change it (which the trainer then refuses).
    base["vehicle"] = Vehicle.from_metadata(source.metadata()).to_dict()
    if not reward_given and source.reward_function_path.is_file():
        base["reward_function"] = str(source.reward_function_path)
    return base


def models_clone_command(args: argparse.Namespace) -> int:
    args.model = args.name
    args.clone_from = args.source
    args.clone_checkpoint = args.checkpoint
    args.resume = False
    return train_command(args)


def add_clone_parser(actions: argparse._SubParsersAction) -> None:
    """`deepracer models clone`, registered among the other `models` actions."""
    clone = actions.add_parser("clone", help="train a new model from an existing one (same vehicle)")
    clone.add_argument("source", help="model to clone")
    clone.add_argument("name", help="name of the new model")
    clone.add_argument("--checkpoint", help="checkpoint to start from (default best)")
    add_training_options(clone)
    clone.set_defaults(handler=models_clone_command)


def register(subparsers: argparse._SubParsersAction) -> None:
    train = subparsers.add_parser("train", help="train a model with PPO on the simulator")
    add_training_options(train)
    train.add_argument("--resume", action="store_true", help="continue --model from its last complete iteration")
    train.add_argument("--clone", dest="clone_from", metavar="MODEL",
                       help="start from another model's weights (same vehicle: sensors, network, action space)")
    train.add_argument("--clone-checkpoint", metavar="CHECKPOINT", help="with --clone: which checkpoint (default best)")
    train.set_defaults(handler=train_command)
