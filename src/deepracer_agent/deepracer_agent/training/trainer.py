"""`deepracer train`: collect complete episodes from vectorised simulators, update with PPO, evaluate,
checkpoint; repeat until a stop condition.

One iteration (the console's "policy-updating iteration"):
  1. collect `num_episodes_between_training` complete training episodes with the sampling policy,
     spread over `num_envs` simulators. Every episode that was started is finished; once enough
     episodes have started, simulators that finish theirs sit idle until the last one ends (their
     steps are thrown away), so each iteration holds exactly the episodes it counts;
  2. one PPO phase on them (deepracer_agent.rl.ppo);
  3. `eval_episodes` deterministic evaluation episodes with the new policy;
  4. commit: the checkpoint `<N>_Step-<steps>.ckpt`, then `model/training_state.pt` (optimiser,
     counters, metrics so far), then the files derived from it (sim-trace, metrics JSON,
     deepracer_checkpoints.json). Each is written atomically and the training state names the
     newest complete checkpoint, so a run killed at any point resumes from the last complete
     iteration with `--resume`.

A reward function that fails (raises, returns a non-number, NaN/inf, |r| > 1e5, or runs too long)
stops the run with the simulator's message (step and params); nothing of the failed iteration is
written, so the last good checkpoint stays the newest one.
"""
from __future__ import annotations

import math
import os
import random
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import torch

from deepracer_agent.model.folder import CheckpointName, ModelFolder
from deepracer_agent.model.metrics import (
    evaluation_score,
    is_better,
    training_entry,
    write_training_metrics,
)
from deepracer_agent.model.simtrace import simtrace_row, write_simtrace
from deepracer_agent.policy.torch_policy import actor_critic_from_payload
from deepracer_agent.reward_files import resolve_reward_source, validate_reward_file
from deepracer_agent.rl import ppo
from deepracer_agent.rl.networks import ActorCritic
from deepracer_agent.training.config import TrainingConfig
from deepracer_common.atomic import torch_save_atomic
from deepracer_common.observations import observation_spec
from deepracer_common.race import DEFAULT_TRACK

TRAINING_STATE_FILE = "training_state.pt"
# Transitions one iteration trains on, at most; other networks: 3000 (docs/deepracer-semantics.md#ppo).
MAX_MEMORY_STEPS = {"DEEP_CONVOLUTIONAL_NETWORK_SHALLOW": 10000}
DEFAULT_MAX_MEMORY_STEPS = 3000


class TrainingError(ValueError):
    """Training cannot start or had to stop; the message says why and what is left on disk."""


# ----------------------------------------------------------------------------- environment glue
def env_kwargs(config: TrainingConfig, reward_function, *, evaluation: bool, seed: int, **extra) -> dict:
    """Keyword arguments for deepracer_sim.env.DeepRacerEnv from a training configuration."""
    metadata = config.vehicle.metadata()
    kwargs = dict(
        track=config.track or DEFAULT_TRACK,
        reverse=config.reverse,
        alternate_direction=config.alternate_direction and not evaluation,
        sensors=list(metadata.sensor),
        lidar_config=metadata.lidar_config,
        action_space=metadata.action_space,
        race_type=config.race_type,
        reward_function=reward_function,
        evaluation=evaluation,
        round_robin_advance=config.training.round_robin_advance,
        reward_time_limit_s=config.training.reward_time_limit_s,
        seed=seed,
    )
    kwargs.update(config.training.env_options)
    kwargs.update(extra)
    return kwargs


class EnvGroup:
    """Simulators stepped side by side, each with its own start point and episode clock.

    The simulator is cheap (~0.15 ms per step with the camera) next to the policy network, so the
    environments are plain DeepRacerEnv objects in this process: the policy acts on a batch of all
    running simulators, a simulator whose episode is not needed this iteration is simply not
    stepped, and every simulator gets its own round-robin start (spread round the lap, so that
    each iteration's episodes start all over the track, as one simulator's would).
    """

    def __init__(self, num_envs: int, kwargs: dict):
        from deepracer_sim.env import DeepRacerEnv

        seed = kwargs.pop("seed", 0)
        self.envs = [DeepRacerEnv(**dict(kwargs, seed=seed + index)) for index in range(num_envs)]
        self.observation_space = self.envs[0].observation_space
        self.observations: list[dict | None] = [None] * num_envs

    @property
    def num_envs(self) -> int:
        return len(self.envs)

    def reset(self, index: int, start_ndist: float | None = None) -> dict:
        options = None if start_ndist is None else {"start_ndist": float(start_ndist) % 1.0}
        observation, info = self.envs[index].reset(options=options)
        self.observations[index] = observation
        return info

    def batch(self, indices, keys) -> dict[str, torch.Tensor]:
        return {key: torch.from_numpy(np.stack([self.observations[i][key] for i in indices])) for key in keys}

    def step(self, index: int, action) -> tuple[float, bool, dict]:
        observation, reward, terminated, truncated, info = self.envs[index].step(action)
        self.observations[index] = observation
        return float(reward), bool(terminated or truncated), info

    def close(self) -> None:
        for env in self.envs:
            env.close()


def env_action(action: torch.Tensor, action_space_type: str):
    if action_space_type == "discrete":
        return int(action)
    return np.clip(action.numpy(), -1.0, 1.0).astype(np.float32)


def _describe_space(space) -> str:
    if space.type == "discrete":
        return f"{space.n} discrete actions (up to {space.max_steering_angle:g}°, {space.max_speed:g} m/s)"
    return (f"continuous steering [{space.steering_low:g}, {space.steering_high:g}]°, "
            f"speed [{space.speed_low:g}, {space.speed_high:g}] m/s")


# ----------------------------------------------------------------------------- episodes
@dataclass
class Episode:
    number: int  # 0-based training episode number (the sim-trace `episode` column)
    start_time: float | None = None
    observations: dict[str, list] = field(default_factory=dict)
    actions: list = field(default_factory=list)
    log_probs: list = field(default_factory=list)
    rewards: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    progress: float = 0.0
    status: str = "in_progress"
    end_time: float = 0.0
    lap_time: float | None = None

    @property
    def total_reward(self) -> float:
        return float(sum(self.rewards))

    @property
    def steps(self) -> int:
        return len(self.rewards)

    @property
    def completed_lap(self) -> bool:
        return self.status == "lap_complete"


def record_step(episode: Episode, info: Mapping[str, Any], reward: float, done: bool, action: Any,
                action_space_type: str, trace: bool) -> None:
    params = info.get("params") or {}
    if episode.start_time is None:
        episode.start_time = float(info.get("sim_time", 0.0))
    episode.rewards.append(float(reward))
    episode.progress = float(info.get("progress", params.get("progress", 0.0)))
    episode.status = str(info.get("episode_status", "in_progress"))
    episode.end_time = float(info.get("sim_time", 0.0))
    if episode.status == "lap_complete":
        episode.lap_time = float(info.get("lap_time", episode.end_time - episode.start_time))
    if trace:
        episode.rows.append(
            simtrace_row(episode=episode.number, info=info, reward=reward, done=done, action=action,
                         action_space_type=action_space_type)
        )


# ----------------------------------------------------------------------------- trainer
@dataclass
class IterationReport:
    iteration: int
    checkpoint: str
    episodes: int
    steps: int
    mean_reward: float
    mean_progress: float
    laps: int
    eval_progress: float
    eval_laps: int
    eval_episodes: int
    eval_best_lap_time: float | None
    best_checkpoint: str
    seconds_collect: float
    seconds_update: float
    seconds_eval: float
    seconds_write: float
    update_stats: dict

    def line(self) -> str:
        if self.eval_episodes:
            lap = f", best lap {self.eval_best_lap_time:.2f} s" if self.eval_best_lap_time else ""
            evaluation = f"eval progress {self.eval_progress:5.1f}%, laps {self.eval_laps}/{self.eval_episodes}{lap}"
        else:
            evaluation = "no evaluation"
        return (
            f"iteration {self.iteration:>3} | {self.checkpoint} | mean reward {self.mean_reward:8.2f} | "
            f"mean progress {self.mean_progress:5.1f}% | laps {self.laps}/{self.episodes} | {evaluation} | "
            f"best {self.best_checkpoint} | {self.steps} steps: collect {self.seconds_collect:.1f}s "
            f"update {self.seconds_update:.1f}s eval {self.seconds_eval:.1f}s"
        )


@dataclass
class TrainingSummary:
    model: str
    path: str
    iterations: int
    episodes: int
    steps: int
    seconds: float
    stop_reason: str
    best_checkpoint: str | None
    last_checkpoint: str | None
    reports: list[IterationReport] = field(default_factory=list)


class Trainer:
    def __init__(
        self,
        config: TrainingConfig,
        folder: ModelFolder,
        *,
        resume: bool = False,
        show_progress: bool | None = None,
        echo: Callable[[str], None] | None = None,
        clone_from: str | os.PathLike | None = None,
        clone_checkpoint: str | int | None = None,
        models_root: str | os.PathLike | None = None,
        env_group_factory: Callable[[int, dict], Any] | None = None,
    ):
        """env_group_factory(num_envs, env_kwargs) builds the simulators (default: EnvGroup in this
        process); anything with EnvGroup's reset/batch/step/observations/observation_space will do."""
        self.config = config
        self.env_group_factory = env_group_factory
        self.folder = folder
        self.resume = resume
        self.clone_source = ModelFolder.resolve(clone_from, models_root) if clone_from else None
        self.clone_checkpoint = clone_checkpoint
        if self.clone_source is not None and resume:
            raise TrainingError("--clone starts a new model; it cannot be combined with --resume")
        self.show_progress = sys.stderr.isatty() if show_progress is None else show_progress
        self._echo = echo or (lambda text: print(text, flush=True))
        self.metadata = config.vehicle.metadata()
        self.hp = config.hyperparameters
        self.action_space_type = self.metadata.action_space.type
        network = self.metadata.neural_network
        self.max_steps = config.training.max_steps_per_iteration or MAX_MEMORY_STEPS.get(network, DEFAULT_MAX_MEMORY_STEPS)
        # Counters (restored on resume)
        self.iteration = 0
        self.total_steps = 0
        self.total_episodes = 0
        self.elapsed_before = 0.0
        self.metrics_entries: list[dict] = []
        self.eval_history: dict[str, float] = {}
        self.best: dict | None = None
        self.last: dict | None = None
        self.reports: list[IterationReport] = []
        self._bar = None

    # -------------------------------------------------------------------- output
    def echo(self, text: str) -> None:
        if self._bar is not None:
            self._bar.write(text)
        else:
            self._echo(text)

    # -------------------------------------------------------------------- setup
    def _check_clone(self) -> None:
        """A clone keeps its source's vehicle: same sensors, network and action space (as the console)."""
        source = self.clone_source.metadata()
        mine = self.metadata
        if source.action_space != mine.action_space:
            raise TrainingError(
                f"cannot clone {self.clone_source.name!r} with a different action space: it has "
                f"{_describe_space(source.action_space)}, the new settings give {_describe_space(mine.action_space)}. "
                "A clone keeps the sensors, network and action space of the model it starts from; "
                "train a new model to change them."
            )
        for label, theirs, ours in (("sensors", source.sensor, mine.sensor),
                                    ("neural network", source.neural_network, mine.neural_network),
                                    ("lidar_config", source.lidar_config, mine.lidar_config)):
            if theirs != ours:
                raise TrainingError(
                    f"cannot clone {self.clone_source.name!r} with different {label}: it has {theirs}, "
                    f"the new settings give {ours}"
                )

    def _prepare_folder(self) -> Path:
        if self.clone_source is not None:
            self._check_clone()
        reward_path = resolve_reward_source(self.config.reward_function)
        folder = self.folder
        if self.resume:
            if not folder.exists():
                raise TrainingError(f"cannot resume: {folder.path} is not a model folder")
            if not (folder.model_dir / TRAINING_STATE_FILE).is_file():
                raise TrainingError(f"cannot resume {folder.name!r}: it has no {TRAINING_STATE_FILE} (was it trained here?)")
            saved = folder.metadata()
            if saved.to_dict() != self.metadata.to_dict():
                raise TrainingError(
                    f"cannot resume {folder.name!r} with a different vehicle: the folder has "
                    f"{saved.to_dict()}, the configuration {self.metadata.to_dict()}"
                )
            return folder.reward_function_path
        if folder.path.exists() and any(folder.path.iterdir()):
            raise TrainingError(
                f"{folder.path} already exists; choose another model name, `deepracer train --resume` it, "
                f"or `deepracer models delete {folder.name}`"
            )
        # The console refuses to train with a reward function that fails its Validate button.
        report = validate_reward_file(reward_path, track=self.config.track, time_limit_s=self.config.training.reward_time_limit_s,
                                      action_space=self.metadata.action_space)
        if not report.ok:
            raise TrainingError("the reward function does not validate:\n  " + "\n  ".join(report.problems))
        folder.write_metadata(self.metadata)
        self.hp.save(folder.hyperparameters_path)
        folder.write_reward_function(reward_path.read_text())
        config = dict(self.config.to_dict(), reward_function_source=str(reward_path))
        if self.clone_source is not None:
            config["cloned_from"] = {"model": self.clone_source.name, "path": str(self.clone_source.path),
                                     "checkpoint": self.clone_source.find_checkpoint(self.clone_checkpoint).name}
        folder.write_training_config(config)
        folder.write_training_params(self._training_params())
        return folder.reward_function_path

    def _training_params(self) -> dict:
        return {
            "WORLD_NAME": self.config.track or DEFAULT_TRACK,
            "RACE_TYPE": self.config.race_type,
            "REVERSE_DIR": self.config.reverse,
            "ALTERNATE_DRIVING_DIRECTION": self.config.alternate_direction,
            "CHANGE_START_POSITION": True,
            "ROUND_ROBIN_ADVANCE_DIST": self.config.training.round_robin_advance,
            "NUMBER_OF_RESETS": 0,
            "NUM_WORKERS": 1,
            "NUM_ENVIRONMENTS": self.config.training.num_envs,
            "MIN_EVAL_TRIALS": self.config.training.eval_episodes,
            "BEST_CHECKPOINT_METRIC": self.config.training.best_model_metric,
            "MODEL_METADATA_FILE_S3_KEY": "model/model_metadata.json",
            "REWARD_FILE_S3_KEY": "reward_function.py",
            "SIMTRACE_S3_PREFIX": "training-simtrace",
            "METRICS_S3_OBJECT_KEY": "metrics/TrainingMetrics.json",
        }

    def _threads(self) -> None:
        threads = self.config.training.torch_threads or max(1, os.cpu_count() or 1)
        torch.set_num_threads(threads)

    # -------------------------------------------------------------------- state
    @property
    def state_path(self) -> Path:
        return self.folder.model_dir / TRAINING_STATE_FILE

    def _save_state(self, checkpoint: CheckpointName, optimizer, elapsed: float) -> None:
        torch_save_atomic(self.state_path, {
            "format": "deepracer-agent-training-state",
            "checkpoint": checkpoint.name,
            "iteration": self.iteration,
            "total_steps": self.total_steps,
            "total_episodes": self.total_episodes,
            "elapsed_seconds": elapsed,
            "metrics": self.metrics_entries,
            "eval_history": self.eval_history,
            "best": self.best,
            "last": self.last,
            "optimizer_state": optimizer.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "python_rng": list(random.getstate()[1]),
        })

    def _restore(self, model: ActorCritic, optimizer) -> None:
        try:
            state = torch.load(self.state_path, map_location="cpu", weights_only=True)
        except Exception as error:
            raise TrainingError(f"{self.state_path}: cannot read the training state ({error})") from None
        payload = self.folder.load_checkpoint(state["checkpoint"])
        restored, _ = actor_critic_from_payload(payload)
        if list(restored.spec.items()) != list(model.spec.items()):
            raise TrainingError(f"checkpoint {state['checkpoint']} was trained on observations {dict(restored.spec)}, "
                                f"the simulator gives {dict(model.spec)}")
        model.load_state_dict(restored.state_dict())
        optimizer.load_state_dict(state["optimizer_state"])
        torch.set_rng_state(state["torch_rng"])
        self.iteration = int(state["iteration"])
        self.total_steps = int(state["total_steps"])
        self.total_episodes = int(state["total_episodes"])
        self.elapsed_before = float(state["elapsed_seconds"])
        self.metrics_entries = list(state["metrics"])
        self.eval_history = dict(state["eval_history"])
        self.best = state["best"]
        self.last = state["last"]
        # Whatever a killed run wrote after its last complete iteration goes; derived files are rebuilt.
        newest = CheckpointName.parse(state["checkpoint"]).number
        for checkpoint in self.folder.checkpoints():
            if checkpoint.number > newest:
                self.folder.checkpoint_path(checkpoint).unlink(missing_ok=True)
        for path in self.folder.simtrace_dir.glob("*-iteration.csv"):
            try:
                if int(path.name.split("-")[0]) >= self.iteration:
                    path.unlink()
            except ValueError:
                continue
        for stray in self.folder.model_dir.glob(".*.tmp"):
            stray.unlink(missing_ok=True)
        self._write_derived()

    def _write_derived(self) -> None:
        write_training_metrics(self.folder.training_metrics_path, self.metrics_entries, self.config.training.best_model_metric)
        self.folder.write_checkpoints_record(self.best, self.last)

    def _checkpoint_payload(self, model: ActorCritic, name: CheckpointName) -> dict:
        return {
            "checkpoint": name.number,
            "steps": name.steps,
            "model_metadata": self.metadata.to_dict(),
            "observation_spec": [[key, list(shape)] for key, shape in model.spec.items()],
            "model_state": model.state_dict(),
            "track": self.config.track or DEFAULT_TRACK,
        }

    # -------------------------------------------------------------------- main loop
    def run(self) -> TrainingSummary:
        from deepracer_sim.race.reward_function import RewardFunctionError, load_reward_function

        started = time.monotonic()
        reward_path = self._prepare_folder()
        try:
            reward_function = load_reward_function(reward_path)
        except RewardFunctionError as error:
            raise TrainingError(str(error)) from None
        self._threads()
        seed = self.config.training.seed
        torch.manual_seed(seed)
        random.seed(seed)

        config = self.config
        num_envs = config.training.num_envs
        envs = self._make_group(num_envs, env_kwargs(config, reward_function, evaluation=False, seed=seed))
        eval_envs = None
        try:
            spec = OrderedDict((key, tuple(space.shape)) for key, space in envs.observation_space.spaces.items())
            expected = observation_spec(self.metadata)
            if dict(spec) != dict(expected):
                raise TrainingError(f"the simulator's observations {dict(spec)} do not match the model's sensors {dict(expected)}")
            model = ActorCritic.for_metadata(self.metadata, expected)
            optimizer = ppo.make_optimizer(model, self.hp.lr)
            if self.resume:
                self._restore(model, optimizer)
                self.echo(f"resuming {self.folder.name!r} after iteration {self.iteration} "
                          f"({self.total_episodes} episodes, {self.total_steps} steps)")
            else:
                if self.clone_source is not None:
                    source, _ = actor_critic_from_payload(self.clone_source.load_checkpoint(self.clone_checkpoint))
                    model.load_state_dict(source.state_dict())
                initial = CheckpointName(0, 0)
                self.folder.save_checkpoint(initial, self._checkpoint_payload(model, initial))
                self.last = self.folder.checkpoint_entry(initial.name, None)
                self._save_state(initial, optimizer, 0.0)
                self._write_derived()
            if config.training.eval_episodes:
                eval_envs = self._make_group(
                    config.training.eval_episodes,
                    env_kwargs(config, reward_function, evaluation=True, seed=seed + 7919),
                )
            generator = torch.Generator().manual_seed(seed + self.iteration)
            stop_reason = self._loop(envs, eval_envs, model, optimizer, generator, started)
        except RewardFunctionError as error:
            raise TrainingError(
                f"training stopped: {error}\nThe last good checkpoint "
                f"({(self.last or {}).get('name', 'none')}) in {self.folder.model_dir} is intact; fix the reward "
                f"function ({self.folder.reward_function_path}) and train a new model."
            ) from None
        finally:
            if self._bar is not None:
                self._bar.close()
                self._bar = None
            envs.close()
            if eval_envs is not None:
                eval_envs.close()
        return TrainingSummary(
            model=self.folder.name,
            path=str(self.folder.path),
            iterations=self.iteration,
            episodes=self.total_episodes,
            steps=self.total_steps,
            seconds=self.elapsed_before + (time.monotonic() - started),
            stop_reason=stop_reason,
            best_checkpoint=(self.best or {}).get("name"),
            last_checkpoint=(self.last or {}).get("name"),
            reports=self.reports,
        )

    def _make_group(self, num_envs: int, kwargs: dict):
        if self.env_group_factory is not None:
            return self.env_group_factory(num_envs, kwargs)
        return EnvGroup(num_envs, kwargs)

    def _stop_reason(self, started: float, report: IterationReport | None) -> str | None:
        stop = self.config.stop
        elapsed = self.elapsed_before + (time.monotonic() - started)
        max_episodes = stop.max_episodes or self.hp.term_cond_max_episodes
        if stop.max_minutes is not None and elapsed >= stop.max_minutes * 60.0:
            return f"time limit of {stop.max_minutes:g} min reached"
        if self.total_episodes >= max_episodes:
            return f"{max_episodes} episodes reached"
        if stop.max_iterations is not None and self.iteration >= stop.max_iterations:
            return f"{stop.max_iterations} iterations reached"
        if report is not None:
            if stop.eval_complete_laps is not None and report.eval_laps >= stop.eval_complete_laps:
                return f"evaluation completed {report.eval_laps} of {report.eval_episodes} laps"
            if report.mean_reward >= self.hp.term_cond_avg_score:
                return f"mean reward {report.mean_reward:.1f} reached term_cond_avg_score {self.hp.term_cond_avg_score:g}"
        return None

    def _loop(self, envs, eval_envs, model, optimizer, generator, started) -> str:
        report = None
        if self.show_progress:
            from tqdm import tqdm

            stop = self.config.stop
            total = stop.max_episodes or (stop.max_iterations * self.hp.num_episodes_between_training
                                          if stop.max_iterations else None)
            self._bar = tqdm(total=total, initial=self.total_episodes, unit="episode", dynamic_ncols=True,
                             desc=self.folder.name, file=sys.stderr)
        while True:
            reason = self._stop_reason(started, report)
            if reason:
                return reason
            report = self._iteration(envs, eval_envs, model, optimizer, generator, started)
            self.reports.append(report)
            self.echo(report.line())

    def _iteration(self, envs, eval_envs, model, optimizer, generator, started) -> IterationReport:
        iteration = self.iteration
        t0 = time.monotonic()
        episodes, rollout = self.collect(envs, model)
        t1 = time.monotonic()
        steps = len(rollout)
        torch.set_num_threads(self.config.training.torch_threads or max(1, os.cpu_count() or 1))
        stats = ppo.ppo_update(
            model, optimizer, rollout,
            gamma=self.hp.discount_factor, num_epochs=self.hp.num_epochs, batch_size=self.hp.batch_size,
            beta_entropy=self.hp.beta_entropy, loss_type=self.hp.loss_type, max_steps=self.max_steps,
            generator=generator,
        )
        del rollout
        t2 = time.monotonic()
        evaluations = self.evaluate(eval_envs, model) if eval_envs is not None else []
        t3 = time.monotonic()

        # Commit: checkpoint, then the training state that names it, then the derived files.
        self.iteration += 1
        self.total_steps += steps
        self.total_episodes += len(episodes)
        name = CheckpointName(self.iteration, self.total_steps)
        self.folder.save_checkpoint(name, self._checkpoint_payload(model, name))
        metric = self.config.training.best_model_metric
        score = evaluation_score(evaluations, metric) if evaluations else float("nan")
        entry = self.folder.checkpoint_entry(name.name, None if math.isnan(score) else score)
        self.eval_history[name.name] = score
        self.last = entry
        # Without evaluation episodes there is nothing to compare: the newest checkpoint is the best.
        if not evaluations or is_better(score, None if self.best is None else self.best.get("avg_eval_metric"), metric):
            self.best = entry
        self._append_metrics(episodes, evaluations)
        # The sim-trace goes before the state that commits the iteration: a resume deletes the
        # traces of uncommitted iterations, so a trace is never missing for a committed one.
        write_simtrace(self.folder.simtrace_path(iteration), [row for e in episodes for row in e.rows])
        self._save_state(name, optimizer, self.elapsed_before + (time.monotonic() - started))
        self._write_derived()
        keep = {self.best["name"]} if self.best else set()
        self.folder.prune_checkpoints(self.config.training.keep_checkpoints, keep)
        t4 = time.monotonic()

        lap_times = [e["lap_time_s"] for e in evaluations if e.get("lap_time_s") is not None]
        return IterationReport(
            iteration=self.iteration,
            checkpoint=name.name,
            episodes=len(episodes),
            steps=steps,
            mean_reward=float(np.mean([e.total_reward for e in episodes])),
            mean_progress=float(np.mean([max(0.0, e.progress) for e in episodes])),
            laps=sum(e.completed_lap for e in episodes),
            eval_progress=float(np.mean([e["progress"] for e in evaluations])) if evaluations else float("nan"),
            eval_laps=sum(e["status"] == "lap_complete" for e in evaluations),
            eval_episodes=len(evaluations),
            eval_best_lap_time=min(lap_times) if lap_times else None,
            best_checkpoint=(self.best or {}).get("name", "-"),
            seconds_collect=t1 - t0,
            seconds_update=t2 - t1,
            seconds_eval=t3 - t2,
            seconds_write=t4 - t3,
            update_stats=stats,
        )

    def _append_metrics(self, episodes: list[Episode], evaluations: list[dict]) -> None:
        trial = 0
        for trial, episode in enumerate(episodes, start=1):
            self.metrics_entries.append(training_entry(
                phase="training", episode=episode.number + 1, trial=trial, total_reward=episode.total_reward,
                progress=episode.progress, start_time_s=episode.start_time or 0.0, end_time_s=episode.end_time,
                status=episode.status,
            ))
        last_episode = episodes[-1].number + 1 if episodes else self.total_episodes
        for evaluation in evaluations:
            self.metrics_entries.append(training_entry(
                phase="evaluation", episode=last_episode, trial=trial, total_reward=evaluation["reward"],
                progress=evaluation["progress"], start_time_s=evaluation["start_time"],
                end_time_s=evaluation["end_time"], status=evaluation["status"],
            ))

    # -------------------------------------------------------------------- collection
    def collect(self, envs: EnvGroup, model: ActorCritic) -> tuple[list[Episode], ppo.Rollout]:
        """Exactly `num_episodes_between_training` complete episodes with the sampling policy."""
        wanted = self.hp.num_episodes_between_training
        keys = list(model.spec)
        first = self.total_episodes
        next_number = first
        running: dict[int, Episode] = {}
        for index in range(envs.num_envs):
            if next_number - first >= wanted:
                break
            if envs.observations[index] is None:
                # First use: spread the simulators' round-robin start points round the lap.
                advance = self.config.training.round_robin_advance
                envs.reset(index, start_ndist=first * advance + index / envs.num_envs)
            else:
                envs.reset(index)
            running[index] = Episode(number=next_number)
            next_number += 1
        finished: list[Episode] = []
        while running:
            indices = sorted(running)
            actions, log_probs = model.act(envs.batch(indices, keys))
            for row, index in enumerate(indices):
                episode = running[index]
                for key in keys:
                    # A copy: a simulator may hand out the same buffer again (e.g. a LIDAR scan it reuses).
                    episode.observations.setdefault(key, []).append(np.array(envs.observations[index][key]))
                action = actions[row]
                reward, done, info = envs.step(index, env_action(action, self.action_space_type))
                episode.actions.append(action)
                episode.log_probs.append(log_probs[row])
                record_step(episode, info, reward, done,
                            action.item() if self.action_space_type == "discrete" else None,
                            self.action_space_type, trace=True)
                if done:
                    finished.append(episode)
                    del running[index]
                    if self._bar is not None:
                        self._bar.update(1)
                    if next_number - first < wanted:
                        envs.reset(index)
                        running[index] = Episode(number=next_number)
                        next_number += 1
        finished.sort(key=lambda e: e.number)
        return finished, self._rollout(finished, keys)

    def _rollout(self, episodes: list[Episode], keys) -> ppo.Rollout:
        observations = {key: torch.from_numpy(np.stack([o for e in episodes for o in e.observations[key]])) for key in keys}
        actions = torch.stack([a for e in episodes for a in e.actions])
        log_probs = torch.stack([p for e in episodes for p in e.log_probs])
        rewards = torch.tensor([r for e in episodes for r in e.rewards], dtype=torch.float32)
        dones = torch.tensor([i == e.steps - 1 for e in episodes for i in range(e.steps)], dtype=torch.bool)
        for episode in episodes:  # the rollout owns the data now
            episode.observations = {}
            episode.actions = []
            episode.log_probs = []
        return ppo.Rollout(observations, actions, log_probs, rewards, dones)

    # -------------------------------------------------------------------- evaluation
    def evaluate(self, eval_envs: EnvGroup, model: ActorCritic) -> list[dict]:
        """One deterministic episode per evaluation simulator, each starting at its own place."""
        count = eval_envs.num_envs
        keys = list(model.spec)
        # A deterministic policy in a deterministic simulator drives identical episodes from identical
        # starts, so the evaluation episodes start spread round the lap from the current round-robin point.
        base = self.total_episodes * self.config.training.round_robin_advance
        episodes = {}
        for index in range(count):
            eval_envs.reset(index, start_ndist=base + index / count)
            episodes[index] = Episode(number=index)
        running = set(episodes)
        while running:
            indices = sorted(running)
            actions, _ = model.act(eval_envs.batch(indices, keys), deterministic=True)
            for row, index in enumerate(indices):
                reward, done, info = eval_envs.step(index, env_action(actions[row], self.action_space_type))
                record_step(episodes[index], info, reward, done, None, self.action_space_type, trace=False)
                if done:
                    running.discard(index)
        return [
            {"progress": max(0.0, e.progress), "reward": e.total_reward, "status": e.status,
             "lap_time_s": e.lap_time, "start_time": e.start_time or 0.0, "end_time": e.end_time, "steps": e.steps}
            for e in episodes.values()
        ]
