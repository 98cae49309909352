"""What the agent's subcommands share: the expected-failure type, and the option groups several
commands take (models root, vehicle, training) with the functions that read them back."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from deepracer_common.race import RACE_TYPES


class CommandError(ValueError):
    """An expected failure of an agent command. A ValueError, so `deepracer` prints it as one line
    however the CLI module was started (`python -m deepracer_bringup.cli` imports cli.py twice, and
    an exception class from the second copy would not match the first)."""


def add_models_root(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models-root", default=None,
                        help="folder holding the models (default: $DEEPRACER_MODELS or ./models)")


def add_vehicle_options(parser: argparse.ArgumentParser) -> None:
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


def vehicle_overrides(args: argparse.Namespace, base: dict) -> dict:
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


def add_training_options(parser: argparse.ArgumentParser) -> None:
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
    add_vehicle_options(parser)
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
    add_models_root(parser)


def training_config(args: argparse.Namespace, base: dict | None = None):
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
    data["vehicle"] = vehicle_overrides(args, data["vehicle"])
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
