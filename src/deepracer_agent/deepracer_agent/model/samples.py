"""Untrained model folders, for the loop benchmark and the node tests: the layout `deepracer train` writes,
and the car's (model.onnx beside model_metadata.json). The network is freshly initialised, not trained."""
from __future__ import annotations

import shutil
from pathlib import Path

import torch

from deepracer_agent.model.folder import CheckpointName, ModelFolder
from deepracer_agent.rl.torch_backend import checkpoint_payload
from deepracer_agent.rl.networks import ActorCritic
from deepracer_common.action_space import ActionSpace
from deepracer_common.model_metadata import ModelMetadata
from deepracer_common.observations import observation_spec


def untrained_model(path: Path, action_space: ActionSpace, sensors=("FRONT_FACING_CAMERA",), seed: int = 0,
                    network: str = "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW") -> ModelFolder:
    """A training model folder holding one checkpoint of a freshly initialised network."""
    torch.manual_seed(seed)
    metadata = ModelMetadata(action_space=action_space, sensor=list(sensors), neural_network=network)
    spec = observation_spec(metadata)
    model = ActorCritic.for_metadata(metadata, spec)
    folder = ModelFolder(path)
    folder.write_metadata(metadata)
    name = CheckpointName(0, 0)
    folder.save_checkpoint(name, checkpoint_payload(model, metadata, name))
    folder.write_checkpoints_record(None, folder.checkpoint_entry(name.name, None))
    return folder


def car_model(training_folder: ModelFolder, path: Path) -> Path:
    """The car's layout of the same model: model.onnx and model_metadata.json side by side."""
    from deepracer_agent.model.export import export_onnx

    path.mkdir(parents=True, exist_ok=True)
    export_onnx(training_folder, output=path / "model.onnx")
    shutil.copy(training_folder.metadata_path, path / "model_metadata.json")
    return path
