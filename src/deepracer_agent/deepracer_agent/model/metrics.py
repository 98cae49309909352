"""Training and evaluation metrics JSON (docs/deepracer-semantics.md#metrics-json) and the best-checkpoint rule
(docs/deepracer-semantics.md#best-checkpoint)."""
from __future__ import annotations

import math
import os
from typing import Any, Iterable, Mapping

from deepracer_common.atomic import write_json_atomic
from deepracer_common.race import status_label

BEST_MODEL_METRICS = ("progress", "reward", "laptime")
INCOMPLETE_LAP_TIME_MS = 999999.0

def training_entry(
    *,
    phase: str,
    episode: int,
    trial: int,
    total_reward: float,
    progress: float,
    start_time_s: float,
    end_time_s: float,
    status: str,
) -> dict:
    """One entry of TrainingMetrics.json; times are simulation seconds, stored in milliseconds."""
    start_ms = int(round(start_time_s * 1000.0))
    end_ms = int(round(end_time_s * 1000.0))
    return {
        "reward_score": int(round(total_reward)),
        "metric_time": end_ms,
        "start_time": start_ms,
        "elapsed_time_in_milliseconds": end_ms - start_ms,
        "episode": int(episode),
        "trial": int(trial),
        "phase": phase,
        "completion_percentage": int(max(0.0, min(100.0, progress))),
        "episode_status": status_label(status),
    }


def write_training_metrics(path: str | os.PathLike, entries: Iterable[Mapping], best_model_metric: str) -> None:
    write_json_atomic(path, {"metrics": list(entries), "version": 2.0, "best_model_metric": best_model_metric})


def evaluation_entry(
    *,
    trial: int,
    progress: float,
    start_time_s: float,
    end_time_s: float,
    status: str,
    crash_count: int = 0,
    immobilized_count: int = 0,
    off_track_count: int = 0,
    reversed_count: int = 0,
    reset_count: int = 0,
) -> dict:
    start_ms = int(round(start_time_s * 1000.0))
    end_ms = int(round(end_time_s * 1000.0))
    return {
        "completion_percentage": int(max(0.0, min(100.0, progress))),
        "metric_time": end_ms,
        "start_time": start_ms,
        "elapsed_time_in_milliseconds": end_ms - start_ms,
        "episode_status": status_label(status),
        "crash_count": int(crash_count),
        "immobilized_count": int(immobilized_count),
        "off_track_count": int(off_track_count),
        "reversed_count": int(reversed_count),
        "reset_count": int(reset_count),
        "trial": int(trial),
    }


def write_evaluation_metrics(path: str | os.PathLike, entries: Iterable[Mapping]) -> None:
    write_json_atomic(path, {"metrics": list(entries)})


def evaluation_score(episodes: Iterable[Mapping[str, Any]], metric: str) -> float:
    """Mean over an iteration's evaluation episodes (dicts with progress, reward, lap_time_s)."""
    episodes = list(episodes)
    if metric not in BEST_MODEL_METRICS:
        raise ValueError(f"best_model_metric must be one of {BEST_MODEL_METRICS}, got {metric!r}")
    if not episodes:
        return math.nan
    if metric == "progress":
        values = [float(e["progress"]) for e in episodes]
    elif metric == "reward":
        values = [float(e["reward"]) for e in episodes]
    else:
        values = [
            float(e["lap_time_s"]) * 1000.0 if e.get("lap_time_s") is not None else INCOMPLETE_LAP_TIME_MS
            for e in episodes
        ]
    return sum(values) / len(values)


def is_better(score: float, best: float | None, metric: str) -> bool:
    """The simulator's rule: a tie also moves the best checkpoint forward (lap time: lower is better)."""
    if math.isnan(score):
        return False
    if best is None or math.isnan(best):
        return True
    return score <= best if metric == "laptime" else score >= best
