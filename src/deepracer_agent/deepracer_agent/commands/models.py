"""`deepracer models list | show | clone | delete | export | use-checkpoint`: the models under the models root."""
from __future__ import annotations

import argparse
import json
import sys

from deepracer_agent.commands.options import CommandError, add_models_root
from deepracer_agent.commands.train import add_clone_parser


def list_command(args: argparse.Namespace) -> int:
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


def show_command(args: argparse.Namespace) -> int:
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


def delete_command(args: argparse.Namespace) -> int:
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


def export_command(args: argparse.Namespace) -> int:
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


def use_checkpoint_command(args: argparse.Namespace) -> int:
    from deepracer_agent.model.folder import ModelFolder
    from deepracer_agent.training.state import recorded_score

    folder = ModelFolder.resolve(args.model, args.models_root)
    checkpoint = folder.find_checkpoint(args.checkpoint)
    record = folder.checkpoints_record()
    best = folder.checkpoint_entry(checkpoint.name, recorded_score(folder, checkpoint.name))
    folder.write_checkpoints_record(best, record.get("last_checkpoint") or best)
    print(f"{folder.name}: {checkpoint.name} is now the model's chosen (best) checkpoint; "
          "evaluate and export use it by default")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    models = subparsers.add_parser("models", help="list, show, clone, delete, export models")
    actions = models.add_subparsers(dest="models_command", metavar="ACTION")
    listing = actions.add_parser("list", help="the models under the models root")
    listing.add_argument("--json", action="store_true")
    add_models_root(listing)
    listing.set_defaults(handler=list_command)
    show = actions.add_parser("show", help="one model's vehicle, track, checkpoints and evaluations")
    show.add_argument("model")
    show.add_argument("--json", action="store_true")
    add_models_root(show)
    show.set_defaults(handler=show_command)
    add_clone_parser(actions)
    delete = actions.add_parser("delete", help="delete a model folder")
    delete.add_argument("model")
    delete.add_argument("--yes", action="store_true", help="do not ask")
    add_models_root(delete)
    delete.set_defaults(handler=delete_command)
    export = actions.add_parser("export", help="export the policy as ONNX or a car-style .tar.gz")
    export.add_argument("model")
    export.add_argument("--format", choices=("tar.gz", "onnx"), default="tar.gz")
    export.add_argument("--checkpoint", help="best (default), last, a number or a checkpoint name")
    export.add_argument("--output", help="output file (default <model>/export/...)")
    export.add_argument("--json", action="store_true")
    add_models_root(export)
    export.set_defaults(handler=export_command)
    use = actions.add_parser("use-checkpoint", help="choose an interim checkpoint as the final model")
    use.add_argument("model")
    use.add_argument("checkpoint", help="a number, a checkpoint name, best or last")
    add_models_root(use)
    use.set_defaults(handler=use_checkpoint_command)

    def models_help(args: argparse.Namespace) -> int:
        models.print_help()
        return 2

    models.set_defaults(handler=models_help)
