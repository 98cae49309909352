"""A model on disk, laid out like a DeepRacer-for-Cloud single-worker model (docs/deepracer-semantics.md#model-folder,
docs/deepracer-semantics.md#log-analysis, deepracer-utils).

    <models root>/<name>/
        model/model_metadata.json          console schema (deepracer_common.model_metadata)
        model/deepracer_checkpoints.json   {"best_checkpoint": {...}, "last_checkpoint": {...}}
        model/<N>_Step-<steps>.ckpt        our torch checkpoints (N = policy updates so far)
        model/.coach_checkpoint            the newest checkpoint's name
        ip/hyperparameters.json
        reward_function.py
        training_params.yaml               where and how it was trained (DRfC-style keys)
        training_config.json               the full run configuration (for --resume and clone)
        training-simtrace/<I>-iteration.csv
        metrics/TrainingMetrics.json
        metrics/EvaluationMetrics-<YYYYMMDDHHMMSS>.json
        evaluation-<YYYYMMDDHHMMSS>/evaluation-simtrace/0-iteration.csv

Every file is written atomically. A checkpoint holds everything needed to resume (model, optimiser,
counters, metrics so far), so the other files can always be rebuilt from the newest checkpoint.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deepracer_common import model_files
from deepracer_common.atomic import torch_save_atomic, write_json_atomic, write_text_atomic
from deepracer_common.model_metadata import ModelMetadata, ModelMetadataError

CHECKPOINT_FORMAT = "deepracer-agent-checkpoint"
CHECKPOINT_VERSION = 1
CHECKPOINT_PATTERN = re.compile(r"^(\d+)_Step-(\d+)\.ckpt$")
MODEL_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DEFAULT_MODELS_ROOT = "models"


class ModelError(ValueError):
    """A model folder is missing, malformed or cannot take the requested change."""


def models_root(root: str | os.PathLike | None = None) -> Path:
    """--models-root, else $DEEPRACER_MODELS, else ./models."""
    if root:
        return Path(root)
    return Path(os.environ.get("DEEPRACER_MODELS") or DEFAULT_MODELS_ROOT)


def validate_model_name(name: str) -> str:
    if not isinstance(name, str) or not MODEL_NAME_PATTERN.match(name):
        raise ModelError(
            f"model name {name!r} is not valid: use 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit"
        )
    return name


@dataclass(frozen=True)
class CheckpointName:
    number: int
    steps: int

    @property
    def name(self) -> str:
        return f"{self.number}_Step-{self.steps}.ckpt"

    @classmethod
    def parse(cls, name: str) -> "CheckpointName":
        match = CHECKPOINT_PATTERN.match(Path(name).name)
        if not match:
            raise ModelError(f"{name!r} is not a checkpoint name (<N>_Step-<steps>.ckpt)")
        return cls(int(match.group(1)), int(match.group(2)))


class ModelFolder:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    # -- locations -------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.path.name

    @property
    def model_dir(self) -> Path:
        return self.path / "model"

    @property
    def metadata_path(self) -> Path:
        return self.model_dir / model_files.METADATA_FILE

    @property
    def checkpoints_json_path(self) -> Path:
        return self.model_dir / "deepracer_checkpoints.json"

    @property
    def hyperparameters_path(self) -> Path:
        return self.path / "ip" / "hyperparameters.json"

    @property
    def reward_function_path(self) -> Path:
        return self.path / "reward_function.py"

    @property
    def training_config_path(self) -> Path:
        return self.path / "training_config.json"

    @property
    def training_params_path(self) -> Path:
        return self.path / "training_params.yaml"

    @property
    def simtrace_dir(self) -> Path:
        return self.path / "training-simtrace"

    @property
    def metrics_dir(self) -> Path:
        return self.path / "metrics"

    @property
    def training_metrics_path(self) -> Path:
        return self.metrics_dir / "TrainingMetrics.json"

    @property
    def plots_dir(self) -> Path:
        return self.path / "analysis"

    @property
    def export_dir(self) -> Path:
        return self.path / "export"

    def simtrace_path(self, iteration: int) -> Path:
        return self.simtrace_dir / f"{iteration}-iteration.csv"

    def checkpoint_path(self, name: str | CheckpointName) -> Path:
        name = name.name if isinstance(name, CheckpointName) else name
        return self.model_dir / name

    # -- lookup ------------------------------------------------------------------------------------
    @classmethod
    def resolve(cls, name_or_path: str | os.PathLike, root: str | os.PathLike | None = None) -> "ModelFolder":
        """A model given by name (under the models root) or by path; it must exist."""
        candidate = Path(name_or_path)
        if model_files.is_training_folder(candidate):
            return cls(candidate)
        under_root = models_root(root) / str(name_or_path)
        if model_files.is_training_folder(under_root):
            return cls(under_root)
        raise ModelError(
            f"no model {str(name_or_path)!r}: neither {candidate} nor {under_root} holds model/model_metadata.json "
            f"(models root: {models_root(root)}; see `deepracer models list`)"
        )

    @classmethod
    def list(cls, root: str | os.PathLike | None = None) -> list["ModelFolder"]:
        base = models_root(root)
        if not base.is_dir():
            return []
        return [cls(p) for p in sorted(base.iterdir()) if model_files.is_training_folder(p)]

    def exists(self) -> bool:
        return self.metadata_path.is_file()

    # -- model description ---------------------------------------------------------------------
    def metadata(self) -> ModelMetadata:
        try:
            return ModelMetadata.load(self.metadata_path)
        except ModelMetadataError as error:
            raise ModelError(str(error)) from None

    def write_metadata(self, metadata: ModelMetadata) -> None:
        write_json_atomic(self.metadata_path, metadata.to_dict())

    def training_config(self) -> dict:
        try:
            return json.loads(self.training_config_path.read_text())
        except FileNotFoundError:
            return {}
        except json.JSONDecodeError as error:
            raise ModelError(f"{self.training_config_path}: not valid JSON ({error.msg})") from None

    def write_training_config(self, config: dict) -> None:
        write_json_atomic(self.training_config_path, config)

    def write_training_params(self, params: dict) -> None:
        import yaml

        write_text_atomic(self.training_params_path, yaml.safe_dump(params, sort_keys=True))

    def write_reward_function(self, source: str) -> None:
        write_text_atomic(self.reward_function_path, source)

    # -- checkpoints ------------------------------------------------------------------------------
    def checkpoints(self) -> list[CheckpointName]:
        if not self.model_dir.is_dir():
            return []
        found = []
        for path in self.model_dir.iterdir():
            match = CHECKPOINT_PATTERN.match(path.name)
            if match and path.is_file():
                found.append(CheckpointName(int(match.group(1)), int(match.group(2))))
        return sorted(found, key=lambda c: c.number)

    def find_checkpoint(self, which: str | int | None = None) -> CheckpointName:
        """'best' (default: the recorded best, else the newest), 'last', a number N or a file name."""
        available = self.checkpoints()
        if not available:
            raise ModelError(f"model {self.name!r} has no checkpoints in {self.model_dir} (train it first)")
        if which is None or which == "best":
            record = self.checkpoints_record().get("best_checkpoint") or {}
            name = record.get("name")
            if name and self.checkpoint_path(name).is_file():
                return CheckpointName.parse(name)
            return available[-1]
        if which == "last":
            return available[-1]
        if isinstance(which, int) or (isinstance(which, str) and which.isdigit()):
            number = int(which)
            for checkpoint in available:
                if checkpoint.number == number:
                    return checkpoint
        else:
            name = Path(str(which)).name
            if not name.endswith(".ckpt"):
                name += ".ckpt"
            for checkpoint in available:
                if checkpoint.name == name:
                    return checkpoint
        raise ModelError(
            f"model {self.name!r} has no checkpoint {which!r}; available: {', '.join(c.name for c in available)}"
        )

    def save_checkpoint(self, name: CheckpointName, payload: dict) -> Path:
        payload = dict(payload, format=CHECKPOINT_FORMAT, format_version=CHECKPOINT_VERSION, name=name.name)
        path = self.checkpoint_path(name)
        torch_save_atomic(path, payload)
        write_text_atomic(self.model_dir / ".coach_checkpoint", f'model_checkpoint_path: "{name.name}"\n')
        return path

    def load_checkpoint(self, which: str | int | CheckpointName | None = None) -> dict:
        import torch

        checkpoint = which if isinstance(which, CheckpointName) else self.find_checkpoint(which)
        path = self.checkpoint_path(checkpoint)
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:  # a truncated or foreign file: say which one
            raise ModelError(f"{path}: cannot read checkpoint ({type(error).__name__}: {error})") from None
        if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
            raise ModelError(f"{path}: not a deepracer-agent checkpoint")
        return payload

    def checkpoints_record(self) -> dict:
        try:
            data = json.loads(self.checkpoints_json_path.read_text())
        except FileNotFoundError:
            return {}
        except json.JSONDecodeError as error:
            raise ModelError(f"{self.checkpoints_json_path}: not valid JSON ({error.msg})") from None
        return data if isinstance(data, dict) else {}

    def write_checkpoints_record(self, best: dict | None, last: dict | None) -> None:
        write_json_atomic(self.checkpoints_json_path, {"best_checkpoint": best, "last_checkpoint": last})

    @staticmethod
    def checkpoint_entry(name: str, avg_eval_metric: float | None, time_stamp: float | None = None) -> dict:
        return {
            "name": name,
            "avg_eval_metric": None if avg_eval_metric is None else float(avg_eval_metric),
            "time_stamp": round(time.time() if time_stamp is None else time_stamp, 3),
        }

    def prune_checkpoints(self, keep_last: int, keep: set[str]) -> list[str]:
        """Delete all but the newest `keep_last` checkpoints and the named ones (best, user's choice)."""
        available = self.checkpoints()
        survivors = {c.name for c in available[-keep_last:]} | set(keep) if keep_last > 0 else set(keep)
        removed = []
        for checkpoint in available:
            if checkpoint.name not in survivors:
                self.checkpoint_path(checkpoint).unlink(missing_ok=True)
                removed.append(checkpoint.name)
        return removed

    # -- evaluation runs --------------------------------------------------------------------------
    def evaluation_runs(self) -> list[Path]:
        return sorted(p for p in self.path.glob("evaluation-*") if (p / "evaluation-simtrace").is_dir())

    def new_evaluation_dir(self) -> Path:
        stamp = time.strftime("%Y%m%d%H%M%S")
        path = self.path / f"evaluation-{stamp}"
        while path.exists():  # two evaluations within one second
            time.sleep(1.0)
            stamp = time.strftime("%Y%m%d%H%M%S")
            path = self.path / f"evaluation-{stamp}"
        return path

    # -- whole-folder operations -------------------------------------------------------------
    def delete(self) -> None:
        if not self.exists():
            raise ModelError(f"{self.path} is not a model folder (no model/model_metadata.json); not deleting it")
        shutil.rmtree(self.path)

    def summary(self) -> dict[str, Any]:
        metadata = self.metadata()
        record = self.checkpoints_record()
        config = self.training_config()
        simtraces = sorted(self.simtrace_dir.glob("*-iteration.csv")) if self.simtrace_dir.is_dir() else []
        return {
            "name": self.name,
            "path": str(self.path),
            "model_metadata": metadata.to_dict(),
            "track": config.get("track"),
            "checkpoints": [c.name for c in self.checkpoints()],
            "best_checkpoint": (record.get("best_checkpoint") or {}).get("name"),
            "last_checkpoint": (record.get("last_checkpoint") or {}).get("name"),
            "iterations": len(simtraces),
            "evaluations": [p.name for p in self.evaluation_runs()],
        }
