"""The agent's `deepracer` subcommands: garage, templates, validate, train, evaluate, analyze, models, demo.

Registered by deepracer_bringup.cli (COMMAND_MODULES). Handlers return an exit code; expected failures
raise ValueError subclasses (or CommandError), which the CLI prints as one line.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from deepracer_common.race import RACE_TYPES


class CommandError(ValueError):
    """An expected failure of an agent command. A ValueError, so `deepracer` prints it as one line
    however the CLI module was started (`python -m deepracer_bringup.cli` imports cli.py twice, and
    an exception class from the second copy would not match the first)."""


# ----------------------------------------------------------------------------- shared options
def _add_models_root(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models-root", default=None,
                        help="folder holding the models (default: $DEEPRACER_MODELS or ./models)")


def _add_vehicle_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("vehicle (garage)")
    group.add_argument("--sensor", action="append", dest="sensors", metavar="SENSOR",
                       help="FRONT_FACING_CAMERA (default) or STEREO_CAMERAS, plus optionally LIDAR or SECTOR_LIDAR; repeat")
    group.add_argument("--network", dest="neural_network", metavar="NAME",
                       help="'3-layer CNN' (default) or '5-layer CNN'")
    group.add_argument("--max-steering-angle", type=float, metavar="DEG", help="discrete: maximum steering angle (<= 30)")
    group.add_argument("--steering-granularity", type=int, metavar="N", help="discrete: 3, 5 or 7 steering angles")
    group.add_argument("--max-speed", type=float, metavar="M_S", help="discrete: maximum speed (0.1-4 m/s)")
    group.add_argument("--speed-granularity", type=int, metavar="N", help="discrete: 1, 2 or 3 speeds")
    group.add_argument("--continuous", action="store_true", default=None, help="continuous action space")
    group.add_argument("--steering-range", type=float, nargs=2, metavar=("LOW", "HIGH"), help="continuous: steering range °")
    group.add_argument("--speed-range", type=float, nargs=2, metavar=("LOW", "HIGH"), help="continuous: speed range m/s")


def _vehicle_overrides(args: argparse.Namespace, base: dict) -> dict:
    """A vehicle dict: `base` with the garage flags that were given applied."""
    vehicle = json.loads(json.dumps(base))
    if args.sensors:
        vehicle["sensors"] = args.sensors
    if args.neural_network:
        vehicle["neural_network"] = args.neural_network
    discrete_flags = {
        "max_steering_angle": args.max_steering_angle, "steering_granularity": args.steering_granularity,
        "max_speed": args.max_speed, "speed_granularity": args.speed_granularity,
    }
    given = {key: value for key, value in discrete_flags.items() if value is not None}
    if args.continuous or args.steering_range or args.speed_range:
        if given:
            raise CommandError(f"--continuous cannot be combined with the discrete options {sorted(given)}")
        current = vehicle.get("action_space")
        steering, speed = (-30.0, 30.0), (0.5, 1.0)
        if isinstance(current, dict) and isinstance(current.get("steering_angle"), dict):
            steering = (current["steering_angle"]["low"], current["steering_angle"]["high"])
            speed = (current["speed"]["low"], current["speed"]["high"])
        steering = args.steering_range or steering
        speed = args.speed_range or speed
        vehicle["action_space"] = {"type": "continuous", "steering_angle": {"low": steering[0], "high": steering[1]},
                                   "speed": {"low": speed[0], "high": speed[1]}}
    elif given:
        current = vehicle.get("action_space")
        spec = dict(current) if isinstance(current, dict) and current.get("type", "discrete") == "discrete" \
            and "steering_angle" not in current else {}
        spec["type"] = "discrete"
        spec.update(given)
        vehicle["action_space"] = spec
    return vehicle


HYPERPARAMETER_FLAGS = (
    ("batch_size", int, "gradient descent batch size (default 64)"),
    ("num_epochs", int, "epochs per iteration (default 10)"),
    ("lr", float, "learning rate (default 0.0003)"),
    ("beta_entropy", float, "entropy bonus (default 0.01)"),
    ("discount_factor", float, "discount factor (default 0.999)"),
    ("loss_type", str, "huber (default) or 'mean squared error'"),
    ("num_episodes_between_training", int, "episodes per iteration (default 20)"),
)


def _add_training_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="training configuration file (JSON or YAML; see deepracer_agent/configs)")
    parser.add_argument("--model", help="model name (folder under the models root)")
    parser.add_argument("--track", help="track name or route .npy (default: crescent_loop, the re:Invent 2018-sized loop)")
    direction = parser.add_mutually_exclusive_group()
    direction.add_argument("--reverse", action="store_true", default=None, help="drive against the route's point order")
    direction.add_argument("--alternate-direction", action="store_true", default=None,
                           help="switch direction after every training episode")
    parser.add_argument("--race-type", choices=RACE_TYPES)
    parser.add_argument("--reward", dest="reward_function", metavar="FILE",
                        help="reward function file, or template:<name> (see `deepracer templates`)")
    _add_vehicle_options(parser)
    hyper = parser.add_argument_group("hyperparameters (console names; defaults are the console's)")
    for name, kind, text in HYPERPARAMETER_FLAGS:
        hyper.add_argument("--" + name.replace("_", "-"), dest=name, type=kind, help=text)
    stop = parser.add_argument_group("stop conditions")
    stop.add_argument("--max-minutes", type=float, help="stop after this many minutes of training (default 60)")
    stop.add_argument("--max-episodes", type=int, help="stop after this many training episodes")
    stop.add_argument("--max-iterations", type=int, help="stop after this many iterations")
    stop.add_argument("--stop-on-eval-laps", dest="eval_complete_laps", type=int, metavar="N",
                      help="stop once an iteration's evaluation completes N laps")
    run = parser.add_argument_group("run")
    run.add_argument("--num-envs", type=int, help="simulators stepped side by side (default 4)")
    run.add_argument("--eval-episodes", type=int, help="evaluation episodes after each iteration (default 5)")
    run.add_argument("--best-model-metric", choices=("progress", "reward", "laptime"),
                     help="how the best checkpoint is chosen (default progress)")
    run.add_argument("--seed", type=int)
    run.add_argument("--torch-threads", type=int)
    run.add_argument("--no-progress", action="store_true", help="no progress bar (per-iteration lines only)")
    _add_models_root(parser)


def _training_config(args: argparse.Namespace, base: dict | None = None):
    """TrainingConfig from --config (or `base`), with the flags given on the command line applied."""
    from deepracer_agent.training.config import TrainingConfig

    if args.config:
        config_path = Path(args.config)
        if not config_path.is_file():
            from deepracer_agent.training.config import packaged_config

            config_path = packaged_config(args.config)
        config = TrainingConfig.load(config_path)
        data = config.to_dict()
    else:
        data = json.loads(json.dumps(base)) if base else TrainingConfig().to_dict()
    for key in ("model", "track", "race_type", "reward_function"):
        value = getattr(args, key, None)
        if value is not None:
            data[key] = value
    if args.reverse:
        data["reverse"], data["alternate_direction"] = True, False
    if args.alternate_direction:
        data["alternate_direction"], data["reverse"] = True, False
    data["vehicle"] = _vehicle_overrides(args, data["vehicle"])
    for name, _, _ in HYPERPARAMETER_FLAGS:
        value = getattr(args, name)
        if value is not None:
            data["hyperparameters"][name] = value
    for name in ("max_minutes", "max_episodes", "max_iterations", "eval_complete_laps"):
        value = getattr(args, name)
        if value is not None:
            data["stop"][name] = value
    for name in ("num_envs", "eval_episodes", "best_model_metric", "seed", "torch_threads"):
        value = getattr(args, name)
        if value is not None:
            data["training"][name] = value
    reward = data.get("reward_function")
    if reward and not str(reward).startswith("template:"):
        data["reward_function"] = str(Path(reward).resolve())
    return TrainingConfig.from_dict(data, where="training configuration")


# ----------------------------------------------------------------------------- garage / rewards
def _cmd_garage(args: argparse.Namespace) -> int:
    from deepracer_agent.garage import Vehicle
    from deepracer_common.race import WORKSHOP_ACTION_SPACE

    vehicle = Vehicle.from_dict(_vehicle_overrides(args, {"action_space": WORKSHOP_ACTION_SPACE}))
    if args.json:
        print(json.dumps(vehicle.metadata().to_dict(), indent=2))
    else:
        print("\n".join(vehicle.describe()))
    return 0


def _cmd_templates(args: argparse.Namespace) -> int:
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


def _cmd_validate(args: argparse.Namespace) -> int:
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


# ----------------------------------------------------------------------------- train
def _cmd_train(args: argparse.Namespace) -> int:
    from deepracer_agent.model.folder import ModelFolder, models_root, validate_model_name
    from deepracer_agent.training.trainer import Trainer

    if args.resume:
        if not args.model and not args.config:
            raise CommandError("--resume needs --model NAME (the model to continue)")
        name = args.model or _training_config(args).model
        folder = ModelFolder(models_root(args.models_root) / validate_model_name(name))
        from deepracer_agent.training.config import TrainingConfig

        if not folder.exists():
            raise CommandError(f"cannot resume {name!r}: {folder.path} is not a model folder")
        base = TrainingConfig.from_model_folder(folder).to_dict()
        config = _training_config(argparse.Namespace(**{**vars(args), "config": None}), base)
    elif getattr(args, "clone_from", None) and not args.config:
        from deepracer_agent.model.folder import ModelFolder as Folder

        if not args.model:
            raise CommandError("--clone needs --model NAME for the new model")
        source = Folder.resolve(args.clone_from, args.models_root)
        base = _clone_base(source, args.model, bool(args.reward_function))
        config = _training_config(args, base)
        folder = ModelFolder(models_root(args.models_root) / validate_model_name(config.model))
    else:
        config = _training_config(args)
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


# ----------------------------------------------------------------------------- evaluate / analyze
def _cmd_evaluate(args: argparse.Namespace) -> int:
    from deepracer_agent.evaluation import evaluate_model, print_table

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


def _cmd_analyze(args: argparse.Namespace) -> int:
    from deepracer_agent.analysis import analyze, print_report

    report = analyze(args.model, models_root=args.models_root, out_dir=args.out)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print_report(report)
    return 0


# ----------------------------------------------------------------------------- models
def _cmd_models_list(args: argparse.Namespace) -> int:
    from deepracer_agent.model.folder import ModelFolder, models_root

    models = ModelFolder.list(args.models_root)
    if args.json:
        print(json.dumps([m.summary() for m in models], indent=2))
        return 0
    if not models:
        print(f"no models in {models_root(args.models_root)}")
        return 0
    from rich.console import Console
    from rich.table import Table

    from deepracer_agent.garage import NETWORK_LABELS

    table = Table(title=f"models in {models_root(args.models_root)}")
    for column in ("name", "track", "network", "actions", "iterations", "best checkpoint"):
        table.add_column(column)
    for model in models:
        info = model.summary()
        metadata = info["model_metadata"]
        space = metadata["action_space"]
        actions = f"{len(space)} discrete" if isinstance(space, list) else "continuous"
        table.add_row(info["name"], str(info["track"] or "-"), NETWORK_LABELS.get(metadata["neural_network"], metadata["neural_network"]),
                      actions, str(info["iterations"]), str(info["best_checkpoint"] or "-"))
    Console().print(table)
    return 0


def _cmd_models_show(args: argparse.Namespace) -> int:
    from deepracer_agent.garage import Vehicle
    from deepracer_agent.model.folder import ModelFolder

    folder = ModelFolder.resolve(args.model, args.models_root)
    info = folder.summary()
    if args.json:
        info["hyperparameters"] = json.loads(folder.hyperparameters_path.read_text()) if folder.hyperparameters_path.is_file() else None
        info["training_config"] = folder.training_config()
        print(json.dumps(info, indent=2))
        return 0
    print(f"model {info['name']} ({info['path']})")
    print("\n".join("  " + line for line in Vehicle.from_metadata(folder.metadata()).describe()))
    config = folder.training_config()
    if config:
        print(f"  track: {config.get('track')}{' (reversed)' if config.get('reverse') else ''}, "
              f"race type {config.get('race_type')}, reward {config.get('reward_function')}")
    print(f"  iterations: {info['iterations']}; checkpoints: {', '.join(info['checkpoints']) or '-'}")
    print(f"  best: {info['best_checkpoint']}, last: {info['last_checkpoint']}")
    if info["evaluations"]:
        print(f"  evaluations: {', '.join(info['evaluations'])}")
    return 0


def _clone_base(source, name: str, reward_given: bool) -> dict:
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


def _cmd_models_clone(args: argparse.Namespace) -> int:
    args.model = args.name
    args.clone_from = args.source
    args.clone_checkpoint = args.checkpoint
    args.resume = False
    return _cmd_train(args)


def _cmd_models_delete(args: argparse.Namespace) -> int:
    from deepracer_agent.model.folder import ModelFolder

    folder = ModelFolder.resolve(args.model, args.models_root)
    if not args.yes:
        if not sys.stdin.isatty():
            raise CommandError(f"refusing to delete {folder.path} without --yes")
        answer = input(f"delete {folder.path} and everything in it? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            print("not deleted")
            return 1
    folder.delete()
    print(f"deleted {folder.path}")
    return 0


def _cmd_models_export(args: argparse.Namespace) -> int:
    from deepracer_agent.model.export import export_onnx, export_tarball
    from deepracer_agent.model.folder import ModelFolder

    folder = ModelFolder.resolve(args.model, args.models_root)
    if args.format == "onnx":
        result = export_onnx(folder, args.checkpoint, args.output)
    else:
        result = export_tarball(folder, args.checkpoint, args.output)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"exported {folder.name} checkpoint {result['checkpoint']}")
    print(f"  ONNX: {result['path']} (onnxruntime matches torch within {result['max_abs_difference']:.1e})")
    if "tarball" in result:
        print(f"  car archive: {result['tarball']} ({', '.join(result['members'])})")
        print("  note: the car's stock software loads TensorFlow model.pb files; this archive carries ONNX instead")
    return 0


def _cmd_models_use_checkpoint(args: argparse.Namespace) -> int:
    from deepracer_agent.model.folder import ModelFolder

    folder = ModelFolder.resolve(args.model, args.models_root)
    checkpoint = folder.find_checkpoint(args.checkpoint)
    record = folder.checkpoints_record()
    metric = None
    metrics_path = folder.model_dir / "training_state.pt"
    if metrics_path.is_file():
        import torch

        state = torch.load(metrics_path, map_location="cpu", weights_only=True)
        value = state.get("eval_history", {}).get(checkpoint.name)
        metric = None if value is None or value != value else float(value)
    best = folder.checkpoint_entry(checkpoint.name, metric)
    folder.write_checkpoints_record(best, record.get("last_checkpoint") or best)
    print(f"{folder.name}: {checkpoint.name} is now the model's chosen (best) checkpoint; "
          "evaluate and export use it by default")
    return 0


# ----------------------------------------------------------------------------- demo
def _cmd_demo(args: argparse.Namespace) -> int:
    from deepracer_agent.demo import run_demo

    return run_demo(models_root=args.models_root, model=args.model, max_minutes=args.max_minutes,
                    config=args.config, show_progress=not args.no_progress)


# ----------------------------------------------------------------------------- registration
def register(subparsers: argparse._SubParsersAction) -> None:
    garage = subparsers.add_parser("garage", help="show a vehicle: sensors, network and the action list")
    _add_vehicle_options(garage)
    garage.add_argument("--json", action="store_true", help="print the model_metadata.json it gives")
    garage.set_defaults(handler=_cmd_garage)

    templates = subparsers.add_parser("templates", help="list, show or copy the example reward functions")
    templates.add_argument("name", nargs="?", help="template to show (omit to list them)")
    templates.add_argument("--copy", metavar="DEST", help="copy the template to a file or folder")
    templates.add_argument("--force", action="store_true", help="overwrite DEST")
    templates.set_defaults(handler=_cmd_templates)

    validate = subparsers.add_parser("validate", help="check a reward function like the console's Validate button")
    validate.add_argument("reward", help="reward function file (or template:<name>)")
    validate.add_argument("--track", help="track for the sample params (default crescent_loop)")
    validate.add_argument("--time-limit", type=float, default=None, help="seconds per call (default 5)")
    validate.add_argument("--json", action="store_true")
    validate.set_defaults(handler=_cmd_validate)

    train = subparsers.add_parser("train", help="train a model with PPO on the simulator")
    _add_training_options(train)
    train.add_argument("--resume", action="store_true", help="continue --model from its last complete iteration")
    train.add_argument("--clone", dest="clone_from", metavar="MODEL",
                       help="start from another model's weights (same vehicle: sensors, network, action space)")
    train.add_argument("--clone-checkpoint", metavar="CHECKPOINT", help="with --clone: which checkpoint (default best)")
    train.set_defaults(handler=_cmd_train)

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
    _add_models_root(evaluate)
    evaluate.set_defaults(handler=_cmd_evaluate)

    analyze = subparsers.add_parser("analyze", help="plot reward and progress, draw the best laps")
    analyze.add_argument("model", help="model name or folder")
    analyze.add_argument("--out", help="folder for the PNGs (default <model>/analysis)")
    analyze.add_argument("--json", action="store_true")
    _add_models_root(analyze)
    analyze.set_defaults(handler=_cmd_analyze)

    models = subparsers.add_parser("models", help="list, show, clone, delete, export models")
    actions = models.add_subparsers(dest="models_command", metavar="ACTION")
    listing = actions.add_parser("list", help="the models under the models root")
    listing.add_argument("--json", action="store_true")
    _add_models_root(listing)
    listing.set_defaults(handler=_cmd_models_list)
    show = actions.add_parser("show", help="one model's vehicle, track, checkpoints and evaluations")
    show.add_argument("model")
    show.add_argument("--json", action="store_true")
    _add_models_root(show)
    show.set_defaults(handler=_cmd_models_show)
    clone = actions.add_parser("clone", help="train a new model from an existing one (same vehicle)")
    clone.add_argument("source", help="model to clone")
    clone.add_argument("name", help="name of the new model")
    clone.add_argument("--checkpoint", help="checkpoint to start from (default best)")
    _add_training_options(clone)
    clone.set_defaults(handler=_cmd_models_clone)
    delete = actions.add_parser("delete", help="delete a model folder")
    delete.add_argument("model")
    delete.add_argument("--yes", action="store_true", help="do not ask")
    _add_models_root(delete)
    delete.set_defaults(handler=_cmd_models_delete)
    export = actions.add_parser("export", help="export the policy as ONNX or a car-style .tar.gz")
    export.add_argument("model")
    export.add_argument("--format", choices=("tar.gz", "onnx"), default="tar.gz")
    export.add_argument("--checkpoint", help="best (default), last, a number or a checkpoint name")
    export.add_argument("--output", help="output file (default <model>/export/...)")
    export.add_argument("--json", action="store_true")
    _add_models_root(export)
    export.set_defaults(handler=_cmd_models_export)
    use = actions.add_parser("use-checkpoint", help="choose an interim checkpoint as the final model")
    use.add_argument("model")
    use.add_argument("checkpoint", help="a number, a checkpoint name, best or last")
    _add_models_root(use)
    use.set_defaults(handler=_cmd_models_use_checkpoint)
    def models_help(args: argparse.Namespace) -> int:
        models.print_help()
        return 2

    models.set_defaults(handler=models_help)

    demo = subparsers.add_parser("demo", help="train, evaluate and analyze the workshop model end to end")
    demo.add_argument("--model", default=None, help="model name (default demo-<timestamp>)")
    demo.add_argument("--max-minutes", type=float, default=None, help="time cap for training (default from the config)")
    demo.add_argument("--config", default=None, help="training config (default deepracer_agent/configs/demo.json)")
    demo.add_argument("--no-progress", action="store_true")
    _add_models_root(demo)
    demo.set_defaults(handler=_cmd_demo)
