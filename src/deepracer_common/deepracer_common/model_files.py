"""Where a model's files are, in either of the two layouts a model folder comes in.

- a training folder (`deepracer train`, DeepRacer-for-Cloud): model/model_metadata.json,
  model/<N>_Step-<steps>.ckpt checkpoints, and export/model.onnx once exported;
- a car folder (the archive `deepracer models export` writes, unpacked on the car):
  model_metadata.json and model.onnx side by side.

Every tool that is handed "a model" (the nodes, the policy loader, the Gazebo launch plan) finds
its files here, so both layouts work everywhere.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from deepracer_common.model_metadata import ModelMetadata, ModelMetadataError

METADATA_FILE = "model_metadata.json"
ONNX_FILE = "model.onnx"
CHECKPOINT_GLOB = "*_Step-*.ckpt"


def metadata_candidates(folder: Path) -> list:
    return [folder / METADATA_FILE, folder / "model" / METADATA_FILE]


def find_metadata(model_path: "str | os.PathLike") -> Path:
    """model_metadata.json of a model: the path itself when it names a .json file, else the one in a car
    folder or a training folder; ModelMetadataError (naming where it looked) when there is none."""
    path = Path(model_path).expanduser()
    if path.suffix == ".json":
        if not path.is_file():
            raise ModelMetadataError(f"{path}: cannot read model metadata (no such file)")
        return path
    if not path.is_dir():
        raise ModelMetadataError(f"{path}: cannot read model metadata (no such model folder)")
    for candidate in metadata_candidates(path):
        if candidate.is_file():
            return candidate
    raise ModelMetadataError(f"{path}: cannot read model metadata (no {METADATA_FILE} in it or in {path / 'model'})")


def load_metadata(model_path: "str | os.PathLike") -> ModelMetadata:
    """The ModelMetadata of a model folder (either layout) or of a model_metadata.json path."""
    return ModelMetadata.load(find_metadata(model_path))


def find_onnx(folder: "str | os.PathLike") -> Optional[Path]:
    folder = Path(folder)
    for candidate in (folder / ONNX_FILE, folder / "export" / ONNX_FILE):
        if candidate.is_file():
            return candidate
    return None


def has_checkpoints(folder: "str | os.PathLike") -> bool:
    return any((Path(folder) / "model").glob(CHECKPOINT_GLOB))


def is_training_folder(folder: "str | os.PathLike") -> bool:
    return (Path(folder) / "model" / METADATA_FILE).is_file()
