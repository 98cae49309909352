"""The training state behind `deepracer train --resume`: model/training_state.pt.

After every complete iteration the trainer saves its checkpoint, then this state (which names
that checkpoint), then the files derived from it (TrainingMetrics.json, deepracer_checkpoints.json).
The state holds the counters, the metrics so far, the evaluation history, the optimiser and the
random generators' states, so a run killed at any point resumes from its last complete
iteration: restoring deletes whatever a killed run wrote after it and rebuilds the derived files.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import torch

from deepracer_agent.model.folder import CheckpointName, ModelFolder
from deepracer_agent.model.metrics import write_training_metrics
from deepracer_agent.rl.torch_backend import actor_critic_from_payload
from deepracer_agent.rl.networks import ActorCritic
from deepracer_agent.training.setup import TRAINING_STATE_FILE, TrainingError
from deepracer_common.atomic import torch_save_atomic

STATE_FORMAT = "deepracer-agent-training-state"


@dataclass
class TrainingProgress:
    """What a run has done so far; everything here survives a resume."""

    iteration: int = 0
    total_steps: int = 0
    total_episodes: int = 0
    elapsed_before: float = 0.0  # seconds of training before this process started
    metrics_entries: list[dict] = field(default_factory=list)
    eval_history: dict[str, float] = field(default_factory=dict)  # checkpoint name -> evaluation score
    best: dict | None = None  # deepracer_checkpoints.json entries
    last: dict | None = None


def state_path(folder: ModelFolder) -> Path:
    return folder.model_dir / TRAINING_STATE_FILE


def save_state(folder: ModelFolder, progress: TrainingProgress, checkpoint: CheckpointName, optimizer,
               elapsed: float) -> None:
    torch_save_atomic(state_path(folder), {
        "format": STATE_FORMAT,
        "checkpoint": checkpoint.name,
        "iteration": progress.iteration,
        "total_steps": progress.total_steps,
        "total_episodes": progress.total_episodes,
        "elapsed_seconds": elapsed,
        "metrics": progress.metrics_entries,
        "eval_history": progress.eval_history,
        "best": progress.best,
        "last": progress.last,
        "optimizer_state": optimizer.state_dict(),
        "torch_rng": torch.get_rng_state(),
        # Python's `random`: a reward function may draw from it.
        "python_rng": list(random.getstate()[1]),
    })


def restore_state(folder: ModelFolder, model: ActorCritic, optimizer) -> TrainingProgress:
    """Load the newest complete iteration into `model` and `optimizer`, restore the random generators,
    and clear what a killed run left after that iteration."""
    path = state_path(folder)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise TrainingError(f"{path}: cannot read the training state ({error})") from None
    payload = folder.load_checkpoint(state["checkpoint"])
    restored, _ = actor_critic_from_payload(payload)
    if list(restored.spec.items()) != list(model.spec.items()):
        raise TrainingError(f"checkpoint {state['checkpoint']} was trained on observations {dict(restored.spec)}, "
                            f"the simulator gives {dict(model.spec)}")
    model.load_state_dict(restored.state_dict())
    optimizer.load_state_dict(state["optimizer_state"])
    torch.set_rng_state(state["torch_rng"])
    python_rng = state.get("python_rng")
    if python_rng is not None:
        # getstate() is (version, the Mersenne Twister's 625 words, gauss_next); the words are what was saved.
        random.setstate((random.getstate()[0], tuple(int(word) for word in python_rng), None))
    progress = TrainingProgress(
        iteration=int(state["iteration"]),
        total_steps=int(state["total_steps"]),
        total_episodes=int(state["total_episodes"]),
        elapsed_before=float(state["elapsed_seconds"]),
        metrics_entries=list(state["metrics"]),
        eval_history=dict(state["eval_history"]),
        best=state["best"],
        last=state["last"],
    )
    _discard_uncommitted(folder, CheckpointName.parse(state["checkpoint"]).number, progress.iteration)
    return progress


def _discard_uncommitted(folder: ModelFolder, newest_checkpoint: int, iterations: int) -> None:
    """Whatever a killed run wrote after its last complete iteration goes (derived files are rebuilt)."""
    for checkpoint in folder.checkpoints():
        if checkpoint.number > newest_checkpoint:
            folder.checkpoint_path(checkpoint).unlink(missing_ok=True)
    for path in folder.simtrace_dir.glob("*-iteration.csv"):
        try:
            if int(path.name.split("-")[0]) >= iterations:
                path.unlink()
        except ValueError:
            continue
    for stray in folder.model_dir.glob(".*.tmp"):
        stray.unlink(missing_ok=True)


def write_derived(folder: ModelFolder, progress: TrainingProgress, best_model_metric: str) -> None:
    """The files rebuilt from the state: TrainingMetrics.json and deepracer_checkpoints.json."""
    write_training_metrics(folder.training_metrics_path, progress.metrics_entries, best_model_metric)
    folder.write_checkpoints_record(progress.best, progress.last)


def recorded_score(folder: ModelFolder, checkpoint: str) -> float | None:
    """The evaluation score the training state recorded for a checkpoint; None when there is none."""
    path = state_path(folder)
    if not path.is_file():
        return None
    state = torch.load(path, map_location="cpu", weights_only=True)
    value = state.get("eval_history", {}).get(checkpoint)
    return None if value is None or value != value else float(value)
