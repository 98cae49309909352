"""Setting up a model folder for training: a new model (optionally cloned from another), or one to resume.

A new model's folder gets its model_metadata.json, hyperparameters, reward function copy, the full
training configuration and the DeepRacer-for-Cloud style training_params.yaml before the first
step; a folder that already holds something is never overwritten. A clone keeps its source's
vehicle (sensors, network, action space, as the console requires); a resumed model must still
have the vehicle of the configuration.
"""
from __future__ import annotations

from pathlib import Path

from deepracer_agent.model.folder import ModelFolder
from deepracer_agent.reward_files import resolve_reward_source, validate_reward_file
from deepracer_agent.training.config import TrainingConfig
from deepracer_common.model_metadata import ModelMetadata
from deepracer_common.race import DEFAULT_TRACK

TRAINING_STATE_FILE = "training_state.pt"


class TrainingError(ValueError):
    """Training cannot start or had to stop; the message says why and what is left on disk."""


def describe_space(space) -> str:
    if space.type == "discrete":
        return f"{space.n} discrete actions (up to {space.max_steering_angle:g}°, {space.max_speed:g} m/s)"
    return (f"continuous steering [{space.steering_low:g}, {space.steering_high:g}]°, "
            f"speed [{space.speed_low:g}, {space.speed_high:g}] m/s")


def check_clone(source: ModelFolder, metadata: ModelMetadata) -> None:
    """A clone keeps its source's vehicle: same sensors, network and action space (as the console)."""
    theirs_metadata = source.metadata()
    if theirs_metadata.action_space != metadata.action_space:
        raise TrainingError(
            f"cannot clone {source.name!r} with a different action space: it has "
            f"{describe_space(theirs_metadata.action_space)}, the new settings give "
            f"{describe_space(metadata.action_space)}. "
            "A clone keeps the sensors, network and action space of the model it starts from; "
            "train a new model to change them."
        )
    for label, theirs, ours in (("sensors", theirs_metadata.sensor, metadata.sensor),
                                ("neural network", theirs_metadata.neural_network, metadata.neural_network),
                                ("lidar_config", theirs_metadata.lidar_config, metadata.lidar_config)):
        if theirs != ours:
            raise TrainingError(
                f"cannot clone {source.name!r} with different {label}: it has {theirs}, "
                f"the new settings give {ours}"
            )


def check_resumable(folder: ModelFolder, metadata: ModelMetadata) -> None:
    if not folder.exists():
        raise TrainingError(f"cannot resume: {folder.path} is not a model folder")
    if not (folder.model_dir / TRAINING_STATE_FILE).is_file():
        raise TrainingError(f"cannot resume {folder.name!r}: it has no {TRAINING_STATE_FILE} (was it trained here?)")
    saved = folder.metadata()
    if saved.to_dict() != metadata.to_dict():
        raise TrainingError(
            f"cannot resume {folder.name!r} with a different vehicle: the folder has "
            f"{saved.to_dict()}, the configuration {metadata.to_dict()}"
        )


def prepare_folder(config: TrainingConfig, folder: ModelFolder, *, resume: bool,
                   clone_source: ModelFolder | None = None, clone_checkpoint: str | int | None = None) -> Path:
    """Check the folder (and the clone source) and, for a new model, write its files; returns the
    reward function file training loads."""
    metadata = config.vehicle.metadata()
    if clone_source is not None:
        check_clone(clone_source, metadata)
    reward_path = resolve_reward_source(config.reward_function)
    if resume:
        check_resumable(folder, metadata)
        return folder.reward_function_path
    if folder.path.exists() and any(folder.path.iterdir()):
        raise TrainingError(
            f"{folder.path} already exists; choose another model name, `deepracer train --resume` it, "
            f"or `deepracer models delete {folder.name}`"
        )
    # The console refuses to train with a reward function that fails its Validate button.
    report = validate_reward_file(reward_path, track=config.track, time_limit_s=config.training.reward_time_limit_s,
                                  action_space=metadata.action_space)
    if not report.ok:
        raise TrainingError("the reward function does not validate:\n  " + "\n  ".join(report.problems))
    folder.write_metadata(metadata)
    config.hyperparameters.save(folder.hyperparameters_path)
    folder.write_reward_function(reward_path.read_text())
    saved = dict(config.to_dict(), reward_function_source=str(reward_path))
    if clone_source is not None:
        saved["cloned_from"] = {"model": clone_source.name, "path": str(clone_source.path),
                                "checkpoint": clone_source.find_checkpoint(clone_checkpoint).name}
    folder.write_training_config(saved)
    folder.write_training_params(training_params(config))
    return folder.reward_function_path


def training_params(config: TrainingConfig) -> dict:
    """training_params.yaml: where and how the model was trained, in DeepRacer-for-Cloud's keys."""
    return {
        "WORLD_NAME": config.track or DEFAULT_TRACK,
        "RACE_TYPE": config.race_type,
        "REVERSE_DIR": config.reverse,
        "ALTERNATE_DRIVING_DIRECTION": config.alternate_direction,
        "CHANGE_START_POSITION": True,
        "ROUND_ROBIN_ADVANCE_DIST": config.training.round_robin_advance,
        "NUMBER_OF_RESETS": 0,
        "NUM_WORKERS": 1,
        "NUM_ENVIRONMENTS": config.training.num_envs,
        "MIN_EVAL_TRIALS": config.training.eval_episodes,
        "BEST_CHECKPOINT_METRIC": config.training.best_model_metric,
        "MODEL_METADATA_FILE_S3_KEY": "model/model_metadata.json",
        "REWARD_FILE_S3_KEY": "reward_function.py",
        "SIMTRACE_S3_PREFIX": "training-simtrace",
        "METRICS_S3_OBJECT_KEY": "metrics/TrainingMetrics.json",
    }
