"""Driving a model with the deterministic policy: the evaluation loop, and `deepracer evaluate`.

`drive_episodes` is the one evaluation loop. It drives one episode per plan (a start point and/or a
seed) on an environment group (deepracer_agent.env_group), as many at a time as the group has
cars, taking the argmax of the probabilities or the Gaussian mean as the simulator's evaluation
worker does, and counts each lap: progress, lap time, failures and resets, the sim times it
started and ended. The trainer evaluates every iteration with it; `deepracer evaluate` races
with it.

`deepracer evaluate` (evaluate_model): each lap is one trial from the start line. Without an
off-track penalty the first failure ends the trial; with `off_track_penalty` the car is put back
on the track after a failure and sits out the penalty (counted in the lap time, as in the
console), so every trial ends in a completed lap. With `continuous`, all laps are driven in one
episode (DeepRacer-for-Cloud's default). Writes
`evaluation-<YYYYMMDDHHMMSS>/evaluation-simtrace/0-iteration.csv` (every step, including the
prepare and pause steps) and `metrics/EvaluationMetrics-<YYYYMMDDHHMMSS>.json` in the model folder.
"""
from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import numpy as np

from deepracer_agent.env_group import EnvGroup, simulator_group
from deepracer_agent.model.folder import ModelFolder
from deepracer_agent.model.metrics import evaluation_entry, write_evaluation_metrics
from deepracer_agent.model.simtrace import simtrace_row, write_simtrace
from deepracer_agent.policy.runner import PolicyRunner
from deepracer_common.race import DEFAULT_TRACK, LAP_COMPLETE

# Resets allowed when a penalty is given: effectively unlimited, as the DeepRacer-on-AWS console sets it.
RESETS_WITH_PENALTY = 10000
# A trial that never ends (a car circling, or reset into the same obstacle again and again) is cut
# after this many steps (10 min of sim time); its status is then "step_limit".
DEFAULT_MAX_STEPS = 9000
# Trials raced side by side by `deepracer evaluate` (each is seeded, so this changes no result).
PARALLEL_TRIALS = 8


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
    reward: float = 0.0
    truncated: bool = False  # the episode was cut at its step limit while this lap was driven


# What `deepracer evaluate --json` reports of a lap.
REPORTED_LAP_FIELDS = ("lap", "progress", "lap_time", "status", "steps", "off_track_count", "crash_count",
                       "immobilized_count", "reversed_count", "reset_count")


@dataclass
class EpisodePlan:
    """Where an evaluation episode starts: a start point (None: the simulator's) and a seed (None: none)."""

    start_ndist: float | None = None
    seed: int | None = None


@dataclass
class DrivenEpisode:
    laps: list[LapResult] = field(default_factory=list)
    trace: list[list] = field(default_factory=list)  # sim-trace rows, when asked for


class _LapCounter:
    """Failure counts and timing of the lap being driven."""

    def __init__(self, lap: int, start_time: float, reset_base: int):
        self.result = LapResult(lap=lap, progress=0.0, lap_time=None, status="in_progress", steps=0, start_time=start_time)
        self.reset_base = reset_base

    def add(self, info: dict, reward: float) -> None:
        status = info.get("episode_status", "in_progress")
        r = self.result
        r.steps += 1
        r.reward += float(reward)
        r.status = status
        r.progress = max(0.0, float(info.get("progress", info.get("params", {}).get("progress", 0.0))))
        r.end_time = float(info.get("sim_time", r.end_time))
        r.off_track_count += status == "off_track"
        r.crash_count += status == "crashed"
        r.immobilized_count += status == "immobilized"
        r.reversed_count += status == "reversed"
        r.reset_count = int(info.get("reset_count", 0)) - self.reset_base
        if status == LAP_COMPLETE:
            r.lap_time = float(info["lap_time"])
            r.progress = 100.0


def drive_episodes(envs: EnvGroup, runner: PolicyRunner, plans: Sequence[EpisodePlan], *,
                   continuous_laps: int = 0, trace: bool = False) -> list[DrivenEpisode]:
    """One episode per plan with the deterministic policy, the group's cars driving side by side.

    Each episode's laps are counted separately when `continuous_laps` is given (the episode is
    left once it has that many); otherwise an episode is one lap attempt. Results come in the
    order of `plans`; with `trace`, each episode also carries its sim-trace rows.
    """
    space_type = runner.action_space.type
    results = [DrivenEpisode() for _ in plans]
    waiting = deque(range(len(plans)))
    running: dict[int, tuple[int, _LapCounter]] = {}  # car -> (plan, lap being driven)
    current: dict[str, np.ndarray] = {}  # every car's latest observation, one array per sensor

    def start(rows: list[int]) -> None:
        chosen = [waiting.popleft() for _ in rows]
        seeds = [plans[i].seed for i in chosen]
        observations, infos = envs.reset_cars(rows, start_ndist=[plans[i].start_ndist for i in chosen],
                                              seeds=None if all(s is None for s in seeds) else seeds)
        _store(current, rows, observations, envs.num_envs)
        for row, index, info in zip(rows, chosen, infos):
            # Laps are numbered within a continuous episode, else by episode (a trial is one lap).
            lap = 1 if continuous_laps else index + 1
            running[row] = (index, _LapCounter(lap, float(info.get("sim_time", 0.0)), 0))

    start(list(range(min(envs.num_envs, len(plans)))))
    while running:
        rows = sorted(running)
        decisions = runner.act_batch({key: current[key][rows] for key in runner.keys}, deterministic=True)
        observations, rewards, terminated, truncated, infos = envs.step_cars(rows, decisions.env_actions)
        _store(current, rows, observations, envs.num_envs)
        finished = []
        for k, row in enumerate(rows):
            index, counter = running[row]
            result = results[index]
            info = infos[k]
            done = bool(terminated[k] or truncated[k])
            counter.add(info, rewards[k])
            if truncated[k] and not terminated[k]:
                counter.result.truncated = True
            if trace:
                result.trace.append(simtrace_row(
                    episode=info.get("trace_episode", index), info=info, reward=float(rewards[k]), done=done,
                    action=decisions.env_actions[k] if space_type == "discrete" else None,
                    action_space_type=space_type))
            if continuous_laps and info.get("episode_status") == LAP_COMPLETE:
                result.laps.append(counter.result)
                if len(result.laps) >= continuous_laps:
                    finished.append(row)  # every lap asked for is driven: leave the episode here
                    continue
                counter = _LapCounter(len(result.laps) + 1, float(info.get("sim_time", 0.0)),
                                      int(info.get("reset_count", 0)))
                running[row] = (index, counter)
            if done:
                if counter.result.steps:
                    result.laps.append(counter.result)
                finished.append(row)
        for row in finished:
            del running[row]
        if finished and waiting:
            start(finished[:len(waiting)])
    return results


def _store(current: dict[str, np.ndarray], rows: list[int], observations: dict, num_envs: int) -> None:
    for key, value in observations.items():
        buffer = current.get(key)
        if buffer is None:
            buffer = current[key] = np.zeros((num_envs, *value.shape[1:]), dtype=value.dtype)
        buffer[rows] = value


# ---------------------------------------------------------------------------- deepracer evaluate
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
            "laps": [{key: value for key, value in asdict(lap).items() if key in REPORTED_LAP_FIELDS}
                     for lap in self.laps],
            "completed_laps": self.completed,
            "total_laps": len(self.laps),
            "best_lap_time": min(times) if times else None,
            "average_lap_time": float(np.mean(times)) if times else None,
            "average_progress": float(np.mean([lap.progress for lap in self.laps])) if self.laps else None,
            "evaluation_dir": self.evaluation_dir,
            "metrics_path": self.metrics_path,
        }


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
    if not isinstance(laps, int) or laps < 1:
        raise ValueError(f"laps must be a positive integer, got {laps!r}")
    if off_track_penalty is not None and off_track_penalty < 0:
        raise ValueError(f"off-track penalty must be >= 0 seconds, got {off_track_penalty!r}")
    folder = ModelFolder.resolve(model, models_root)
    runner = PolicyRunner.from_model(folder.path, checkpoint)
    metadata = runner.metadata
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
    # Trial t is seeded with t (its objects, its random stream), so trials driven side by side
    # give what trials driven one after the other would.
    plans = [EpisodePlan(seed=trial) for trial in range(1 if continuous else laps)]
    envs = simulator_group(min(len(plans), PARALLEL_TRIALS), kwargs)
    try:
        driven = drive_episodes(envs, runner, plans, continuous_laps=laps if continuous else 0, trace=True)
    finally:
        envs.close()
    result = EvaluationResult(model=folder.name, checkpoint=str(runner.checkpoint), track=track_name,
                              reverse=reverse, off_track_penalty=off_track_penalty, continuous=continuous)
    for episode in driven:
        result.laps.extend(episode.laps)
    for lap in result.laps:
        if lap.truncated:
            lap.status = "step_limit"  # cut after max_steps, not ended by a rule
    while continuous and len(result.laps) < laps:  # the episode ended before the last laps started
        result.laps.append(LapResult(lap=len(result.laps) + 1, progress=0.0, lap_time=None, status="not_started", steps=0))

    if write:
        directory = folder.new_evaluation_dir()
        write_simtrace(directory / "evaluation-simtrace" / "0-iteration.csv", [row for e in driven for row in e.trace])
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
