"""`deepracer evaluate`: drive a trained model round a track with the deterministic policy.

Each lap is one trial from the start line, as the simulator's evaluation worker runs them (argmax of
the probabilities, or the Gaussian mean). Without an off-track penalty the first failure ends the
trial; with `off_track_penalty` the car is put back on the track after a failure and sits out the
penalty (counted in the lap time, as in the console), so every trial ends in a completed lap.
With `continuous`, all laps are driven in one episode (DeepRacer-for-Cloud's default).

Writes `evaluation-<YYYYMMDDHHMMSS>/evaluation-simtrace/0-iteration.csv` (every step, including the
prepare and pause steps) and `metrics/EvaluationMetrics-<YYYYMMDDHHMMSS>.json` in the model folder.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from deepracer_agent.model.folder import ModelFolder
from deepracer_agent.model.metrics import evaluation_entry, write_evaluation_metrics
from deepracer_agent.model.simtrace import simtrace_row, write_simtrace
from deepracer_agent.policy.torch_policy import PolicyRunner, actor_critic_from_payload
from deepracer_common.race import DEFAULT_TRACK

# Resets allowed when a penalty is given: effectively unlimited, as the DeepRacer-on-AWS console sets it.
RESETS_WITH_PENALTY = 10000
# A trial that never ends (a car circling, or reset into the same obstacle again and again) is cut
# after this many steps (10 min of sim time); its status is then "step_limit".
DEFAULT_MAX_STEPS = 9000


@dataclass
class LapResult:
    lap: int
    progress: float
    lap_time: float | None  # seconds, None when the lap was not completed
    status: str
    steps: int
    off_track_count: int = 0
    crash_count: int = 0
    immobilized_count: int = 0
    reversed_count: int = 0
    reset_count: int = 0
    start_time: float = 0.0
    end_time: float = 0.0


@dataclass
class EvaluationResult:
    model: str
    checkpoint: str
    track: str
    reverse: bool
    off_track_penalty: float | None
    continuous: bool
    laps: list[LapResult] = field(default_factory=list)
    evaluation_dir: str | None = None
    metrics_path: str | None = None

    @property
    def completed(self) -> int:
        return sum(1 for lap in self.laps if lap.lap_time is not None)

    @property
    def lap_times(self) -> list[float]:
        return [lap.lap_time for lap in self.laps if lap.lap_time is not None]

    def to_dict(self) -> dict[str, Any]:
        times = self.lap_times
        return {
            "model": self.model,
            "checkpoint": self.checkpoint,
            "track": self.track,
            "reverse": self.reverse,
            "off_track_penalty": self.off_track_penalty,
            "continuous": self.continuous,
            "laps": [
                {key: value for key, value in asdict(lap).items() if key not in ("start_time", "end_time")}
                for lap in self.laps
            ],
            "completed_laps": self.completed,
            "total_laps": len(self.laps),
            "best_lap_time": min(times) if times else None,
            "average_lap_time": float(np.mean(times)) if times else None,
            "average_progress": float(np.mean([lap.progress for lap in self.laps])) if self.laps else None,
            "evaluation_dir": self.evaluation_dir,
            "metrics_path": self.metrics_path,
        }


class _LapCounter:
    """Failure counts and timing of the lap being driven."""

    def __init__(self, lap: int, start_time: float, reset_base: int):
        self.result = LapResult(lap=lap, progress=0.0, lap_time=None, status="in_progress", steps=0, start_time=start_time)
        self.reset_base = reset_base

    def add(self, info: dict) -> None:
        status = info.get("episode_status", "in_progress")
        r = self.result
        r.steps += 1
        r.status = status
        r.progress = max(0.0, float(info.get("progress", info.get("params", {}).get("progress", 0.0))))
        r.end_time = float(info.get("sim_time", r.end_time))
        r.off_track_count += status == "off_track"
        r.crash_count += status == "crashed"
        r.immobilized_count += status == "immobilized"
        r.reversed_count += status == "reversed"
        r.reset_count = int(info.get("reset_count", 0)) - self.reset_base
        if status == "lap_complete":
            r.lap_time = float(info["lap_time"])
            r.progress = 100.0


def evaluate_model(
    model: str,
    *,
    track: str | None = None,
    laps: int = 3,
    off_track_penalty: float | None = None,
    collision_penalty: float | None = None,
    checkpoint: str | int | None = None,
    reverse: bool = False,
    continuous: bool = False,
    race_type: str | None = None,
    models_root: str | None = None,
    write: bool = True,
    max_steps: int = DEFAULT_MAX_STEPS,
    env_options: dict | None = None,
) -> EvaluationResult:
    from deepracer_sim.env import DeepRacerEnv

    if not isinstance(laps, int) or laps < 1:
        raise ValueError(f"laps must be a positive integer, got {laps!r}")
    if off_track_penalty is not None and off_track_penalty < 0:
        raise ValueError(f"off-track penalty must be >= 0 seconds, got {off_track_penalty!r}")
    folder = ModelFolder.resolve(model, models_root)
    payload = folder.load_checkpoint(checkpoint)
    network, metadata = actor_critic_from_payload(payload)
    runner = PolicyRunner(network, metadata, name=folder.name)
    trained = folder.training_config()
    track_name = track or trained.get("track") or DEFAULT_TRACK
    # Race with the objects the model trained with (race type and the simulator's object options).
    race_type = race_type or trained.get("race_type") or "TIME_TRIAL"
    trained_options = {key: value for key, value in (trained.get("training", {}).get("env_options") or {}).items()
                       if key not in ("max_steps", "reward_time_limit_s")}
    penalised = off_track_penalty is not None
    kwargs = dict(
        track=track_name,
        reverse=reverse,
        sensors=list(metadata.sensor),
        lidar_config=metadata.lidar_config,
        action_space=metadata.action_space,
        race_type=race_type,
        evaluation=True,
        number_of_resets=RESETS_WITH_PENALTY if penalised else 0,
        continuous_laps=laps if continuous else 0,
        max_steps=max_steps * (laps if continuous else 1),
        seed=0,
    )
    if penalised:
        kwargs["off_track_penalty"] = float(off_track_penalty)
        kwargs["collision_penalty"] = float(collision_penalty if collision_penalty is not None else off_track_penalty)
    kwargs.update(trained_options)
    kwargs.update(env_options or {})
    env = DeepRacerEnv(**kwargs)
    result = EvaluationResult(model=folder.name, checkpoint=str(payload.get("name")), track=track_name,
                              reverse=reverse, off_track_penalty=off_track_penalty, continuous=continuous)
    rows: list[list] = []
    space_type = metadata.action_space.type
    try:
        trials = 1 if continuous else laps
        for trial in range(trials):
            observation, info = env.reset(seed=trial)
            counter = _LapCounter(len(result.laps) + 1, float(info.get("sim_time", 0.0)), 0)
            done = False
            while not done:
                action = runner.act_batch({k: np.asarray(observation[k])[None] for k in runner.keys})[0]
                env_action = int(action) if space_type == "discrete" else action.astype(np.float32)
                observation, reward, terminated, truncated, info = env.step(env_action)
                done = bool(terminated or truncated)
                counter.add(info)
                if truncated and not terminated:
                    counter.result.status = "step_limit"  # cut after max_steps, not ended by a rule
                episode_column = info.get("trace_episode", trial)
                rows.append(simtrace_row(episode=episode_column, info=info, reward=reward, done=done,
                                         action=env_action if space_type == "discrete" else None,
                                         action_space_type=space_type))
                if continuous and info.get("episode_status") == "lap_complete":
                    result.laps.append(counter.result)
                    counter = _LapCounter(len(result.laps) + 1, float(info.get("sim_time", 0.0)) ,
                                          int(info.get("reset_count", 0)))
                    if len(result.laps) >= laps:
                        break
            if not continuous or len(result.laps) < laps:
                if counter.result.steps:
                    result.laps.append(counter.result)
    finally:
        env.close()
    while continuous and len(result.laps) < laps:  # the episode ended before the last laps started
        result.laps.append(LapResult(lap=len(result.laps) + 1, progress=0.0, lap_time=None, status="not_started", steps=0))

    if write:
        directory = folder.new_evaluation_dir()
        write_simtrace(directory / "evaluation-simtrace" / "0-iteration.csv", rows)
        metrics_path = folder.metrics_dir / f"EvaluationMetrics-{directory.name.split('-', 1)[1]}.json"
        write_evaluation_metrics(metrics_path, [
            evaluation_entry(trial=lap.lap, progress=lap.progress, start_time_s=lap.start_time,
                             end_time_s=lap.end_time, status=lap.status if lap.status != "not_started" else "in_progress",
                             crash_count=lap.crash_count, immobilized_count=lap.immobilized_count,
                             off_track_count=lap.off_track_count, reversed_count=lap.reversed_count,
                             reset_count=lap.reset_count)
            for lap in result.laps
        ])
        result.evaluation_dir = str(directory)
        result.metrics_path = str(metrics_path)
    return result


def print_table(result: EvaluationResult, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    title = f"{result.model} ({result.checkpoint}) on {result.track}{' reversed' if result.reverse else ''}"
    table = Table(title=title)
    for column in ("lap", "time (s)", "progress (%)", "off-track", "crashes", "resets", "status"):
        table.add_column(column, justify="right" if column != "status" else "left")
    for lap in result.laps:
        table.add_row(
            str(lap.lap),
            f"{lap.lap_time:.3f}" if lap.lap_time is not None else "-",
            f"{lap.progress:.1f}",
            str(lap.off_track_count),
            str(lap.crash_count),
            str(lap.reset_count),
            lap.status,
        )
    console.print(table)
    summary = result.to_dict()
    best = f"{summary['best_lap_time']:.3f} s" if summary["best_lap_time"] is not None else "-"
    console.print(f"completed {summary['completed_laps']}/{summary['total_laps']} laps, best lap {best}")
    if result.evaluation_dir:
        console.print(f"sim-trace: {result.evaluation_dir}/evaluation-simtrace/0-iteration.csv")
