"""`deepracer train`: collect complete episodes from the simulators, update with PPO, evaluate,
checkpoint; repeat until a stop condition.

One iteration (the console's "policy-updating iteration"):
  1. collect `num_episodes_between_training` complete training episodes with the sampling policy,
     spread over `num_envs` simulators (deepracer_agent.training.collect);
  2. one PPO phase on them (deepracer_agent.rl.ppo);
  3. `eval_episodes` deterministic evaluation episodes with the new policy
     (deepracer_agent.evaluation.drive_episodes);
  4. commit: the checkpoint `<N>_Step-<steps>.ckpt`, then `model/training_state.pt` (optimiser,
     counters, metrics so far; deepracer_agent.training.state), then the files derived from it
     (sim-trace, metrics JSON, deepracer_checkpoints.json). Each is written atomically and the
     training state names the newest complete checkpoint, so a run killed at any point resumes
     from the last complete iteration with `--resume`.

A reward function that fails (raises, returns a non-number, NaN/inf, |r| > 1e5, or runs too long)
stops the run with the simulator's message (step and params); nothing of the failed iteration is
written, so the last good checkpoint stays the newest one.

Threads: acting (collection and evaluation) and the PPO update each set torch's thread count
when they start: `torch_threads` (default: every core) for both, unless the caller gives
`acting_threads` (training over topics acts one observation at a time while sim_node and
control_node need the other core).
"""
from __future__ import annotations

import math
import os
import random
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from deepracer_agent.env_group import EnvGroup, simulator_group
from deepracer_agent.evaluation import EpisodePlan, drive_episodes
from deepracer_agent.model.folder import CheckpointName, ModelFolder
from deepracer_agent.model.metrics import evaluation_score, is_better, training_entry
from deepracer_agent.model.simtrace import write_simtrace
from deepracer_agent.policy.runner import PolicyRunner
from deepracer_agent.rl.torch_backend import actor_critic_from_payload, checkpoint_payload
from deepracer_agent.rl import ppo
from deepracer_agent.rl.networks import ActorCritic
from deepracer_agent.training.collect import Episode, EpisodeCollector, build_rollout
from deepracer_agent.training.config import TrainingConfig
from deepracer_agent.training.setup import TrainingError, prepare_folder
from deepracer_agent.training.state import TrainingProgress, restore_state, save_state, write_derived
from deepracer_common.observations import observation_spec
from deepracer_common.race import DEFAULT_TRACK

__all__ = ["Trainer", "TrainingError", "TrainingSummary", "IterationReport"]

# Transitions one iteration trains on, at most; other networks: 3000 (docs/deepracer-semantics.md#ppo).
MAX_MEMORY_STEPS = {"DEEP_CONVOLUTIONAL_NETWORK_SHALLOW": 10000}
DEFAULT_MAX_MEMORY_STEPS = 3000
# Seeds the evaluation simulators apart from the training ones.
EVALUATION_SEED_OFFSET = 7919


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
        env_group_factory: Callable[[int, dict], EnvGroup] | None = None,
        acting_threads: int | None = None,
    ):
        """env_group_factory(num_envs, env_kwargs) builds the cars (default: the simulators in this
        process); any environment group (deepracer_agent.env_group) will do."""
        self.config = config
        self.env_group_factory = env_group_factory or simulator_group
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
        network = self.metadata.neural_network
        self.max_steps = config.training.max_steps_per_iteration or MAX_MEMORY_STEPS.get(network, DEFAULT_MAX_MEMORY_STEPS)
        self.update_threads = config.training.torch_threads or max(1, os.cpu_count() or 1)
        self.acting_threads = acting_threads or self.update_threads
        self.progress = TrainingProgress()
        self.reports: list[IterationReport] = []
        self._bar = None
        self._collector: EpisodeCollector | None = None

    # -------------------------------------------------------------------- output
    def echo(self, text: str) -> None:
        if self._bar is not None:
            self._bar.write(text)
        else:
            self._echo(text)

    # -------------------------------------------------------------------- main loop
    def run(self) -> TrainingSummary:
        from deepracer_sim.race.reward_function import RewardFunctionError, load_reward_function

        started = time.monotonic()
        reward_path = prepare_folder(self.config, self.folder, resume=self.resume, clone_source=self.clone_source,
                                     clone_checkpoint=self.clone_checkpoint)
        try:
            reward_function = load_reward_function(reward_path)
        except RewardFunctionError as error:
            raise TrainingError(str(error)) from None
        torch.set_num_threads(self.update_threads)
        seed = self.config.training.seed
        torch.manual_seed(seed)
        random.seed(seed)

        config = self.config
        envs = self.env_group_factory(config.training.num_envs,
                                      config.env_kwargs(reward_function, evaluation=False, seed=seed))
        eval_envs = None
        try:
            spec = OrderedDict((key, tuple(space.shape)) for key, space in envs.single_observation_space.spaces.items())
            expected = observation_spec(self.metadata)
            if dict(spec) != dict(expected):
                raise TrainingError(f"the simulator's observations {dict(spec)} do not match the model's sensors {dict(expected)}")
            model = ActorCritic.for_metadata(self.metadata, expected)
            optimizer = ppo.make_optimizer(model, self.hp.lr)
            if self.resume:
                self.progress = restore_state(self.folder, model, optimizer)
                write_derived(self.folder, self.progress, config.training.best_model_metric)
                self.echo(f"resuming {self.folder.name!r} after iteration {self.progress.iteration} "
                          f"({self.progress.total_episodes} episodes, {self.progress.total_steps} steps)")
            else:
                if self.clone_source is not None:
                    source, _ = actor_critic_from_payload(self.clone_source.load_checkpoint(self.clone_checkpoint))
                    model.load_state_dict(source.state_dict())
                initial = CheckpointName(0, 0)
                self._save_checkpoint(model, initial)
                self.progress.last = self.folder.checkpoint_entry(initial.name, None)
                save_state(self.folder, self.progress, initial, optimizer, 0.0)
                write_derived(self.folder, self.progress, config.training.best_model_metric)
            if config.training.eval_episodes:
                eval_envs = self.env_group_factory(
                    config.training.eval_episodes,
                    config.env_kwargs(reward_function, evaluation=True, seed=seed + EVALUATION_SEED_OFFSET),
                )
            runner = PolicyRunner.from_network(model, self.metadata)
            self._collector = EpisodeCollector(envs, runner, config.training.round_robin_advance,
                                               on_episode_end=self._episode_ended)
            generator = torch.Generator().manual_seed(seed + self.progress.iteration)
            stop_reason = self._loop(eval_envs, model, runner, optimizer, generator, started)
        except RewardFunctionError as error:
            raise TrainingError(
                f"training stopped: {error}\nThe last good checkpoint "
                f"({(self.progress.last or {}).get('name', 'none')}) in {self.folder.model_dir} is intact; fix the "
                f"reward function ({self.folder.reward_function_path}) and train a new model."
            ) from None
        finally:
            if self._bar is not None:
                self._bar.close()
                self._bar = None
            envs.close()
            if eval_envs is not None:
                eval_envs.close()
        progress = self.progress
        return TrainingSummary(
            model=self.folder.name,
            path=str(self.folder.path),
            iterations=progress.iteration,
            episodes=progress.total_episodes,
            steps=progress.total_steps,
            seconds=progress.elapsed_before + (time.monotonic() - started),
            stop_reason=stop_reason,
            best_checkpoint=(progress.best or {}).get("name"),
            last_checkpoint=(progress.last or {}).get("name"),
            reports=self.reports,
        )

    def _stop_reason(self, started: float, report: IterationReport | None) -> str | None:
        stop = self.config.stop
        progress = self.progress
        elapsed = progress.elapsed_before + (time.monotonic() - started)
        max_episodes = stop.max_episodes or self.hp.term_cond_max_episodes
        if stop.max_minutes is not None and elapsed >= stop.max_minutes * 60.0:
            return f"time limit of {stop.max_minutes:g} min reached"
        if progress.total_episodes >= max_episodes:
            return f"{max_episodes} episodes reached"
        if stop.max_iterations is not None and progress.iteration >= stop.max_iterations:
            return f"{stop.max_iterations} iterations reached"
        if report is not None:
            if stop.eval_complete_laps is not None and report.eval_laps >= stop.eval_complete_laps:
                return f"evaluation completed {report.eval_laps} of {report.eval_episodes} laps"
            if report.mean_reward >= self.hp.term_cond_avg_score:
                return f"mean reward {report.mean_reward:.1f} reached term_cond_avg_score {self.hp.term_cond_avg_score:g}"
        return None

    def _loop(self, eval_envs, model, runner, optimizer, generator, started) -> str:
        report = None
        if self.show_progress:
            from tqdm import tqdm

            stop = self.config.stop
            total = stop.max_episodes or (stop.max_iterations * self.hp.num_episodes_between_training
                                          if stop.max_iterations else None)
            self._bar = tqdm(total=total, initial=self.progress.total_episodes, unit="episode", dynamic_ncols=True,
                             desc=self.folder.name, file=sys.stderr)
        while True:
            reason = self._stop_reason(started, report)
            if reason:
                return reason
            report = self._iteration(eval_envs, model, runner, optimizer, generator, started)
            self.reports.append(report)
            self.echo(report.line())

    def _iteration(self, eval_envs, model, runner, optimizer, generator, started) -> IterationReport:
        progress = self.progress
        iteration = progress.iteration
        t0 = time.monotonic()
        episodes, rollout = self.collect()
        t1 = time.monotonic()
        steps = len(rollout)
        torch.set_num_threads(self.update_threads)
        stats = ppo.ppo_update(
            model, optimizer, rollout,
            gamma=self.hp.discount_factor, num_epochs=self.hp.num_epochs, batch_size=self.hp.batch_size,
            beta_entropy=self.hp.beta_entropy, loss_type=self.hp.loss_type, max_steps=self.max_steps,
            generator=generator,
        )
        del rollout
        t2 = time.monotonic()
        evaluations = self.evaluate(eval_envs, runner) if eval_envs is not None else []
        t3 = time.monotonic()

        # Commit: checkpoint, then the training state that names it, then the derived files.
        progress.iteration += 1
        progress.total_steps += steps
        progress.total_episodes += len(episodes)
        name = CheckpointName(progress.iteration, progress.total_steps)
        self._save_checkpoint(model, name)
        metric = self.config.training.best_model_metric
        score = evaluation_score(evaluations, metric) if evaluations else float("nan")
        entry = self.folder.checkpoint_entry(name.name, None if math.isnan(score) else score)
        progress.eval_history[name.name] = score
        progress.last = entry
        # Without evaluation episodes there is nothing to compare: the newest checkpoint is the best.
        if not evaluations or is_better(score, None if progress.best is None else progress.best.get("avg_eval_metric"),
                                        metric):
            progress.best = entry
        self._append_metrics(episodes, evaluations)
        # The sim-trace goes before the state that commits the iteration: a resume deletes the
        # traces of uncommitted iterations, so a trace is never missing for a committed one.
        write_simtrace(self.folder.simtrace_path(iteration), [row for e in episodes for row in e.rows])
        save_state(self.folder, progress, name, optimizer, progress.elapsed_before + (time.monotonic() - started))
        write_derived(self.folder, progress, metric)
        keep = {progress.best["name"]} if progress.best else set()
        self.folder.prune_checkpoints(self.config.training.keep_checkpoints, keep)
        t4 = time.monotonic()

        lap_times = [e["lap_time_s"] for e in evaluations if e.get("lap_time_s") is not None]
        return IterationReport(
            iteration=progress.iteration,
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
            best_checkpoint=(progress.best or {}).get("name", "-"),
            seconds_collect=t1 - t0,
            seconds_update=t2 - t1,
            seconds_eval=t3 - t2,
            seconds_write=t4 - t3,
            update_stats=stats,
        )

    def _save_checkpoint(self, model: ActorCritic, name: CheckpointName) -> None:
        self.folder.save_checkpoint(name, checkpoint_payload(model, self.metadata, name,
                                                             track=self.config.track or DEFAULT_TRACK))

    def _append_metrics(self, episodes: list[Episode], evaluations: list[dict]) -> None:
        entries = self.progress.metrics_entries
        trial = 0
        for trial, episode in enumerate(episodes, start=1):
            entries.append(training_entry(
                phase="training", episode=episode.number + 1, trial=trial, total_reward=episode.total_reward,
                progress=episode.progress, start_time_s=episode.start_time or 0.0, end_time_s=episode.end_time,
                status=episode.status,
            ))
        last_episode = episodes[-1].number + 1 if episodes else self.progress.total_episodes
        for evaluation in evaluations:
            entries.append(training_entry(
                phase="evaluation", episode=last_episode, trial=trial, total_reward=evaluation["reward"],
                progress=evaluation["progress"], start_time_s=evaluation["start_time"],
                end_time_s=evaluation["end_time"], status=evaluation["status"],
            ))

    def _episode_ended(self, episode: Episode) -> None:
        if self._bar is not None:
            self._bar.update(1)

    # -------------------------------------------------------------------- collection and evaluation
    def collect(self) -> tuple[list[Episode], ppo.Rollout]:
        """Exactly `num_episodes_between_training` complete episodes with the sampling policy, and their rollout."""
        torch.set_num_threads(self.acting_threads)
        collector = self._collector
        episodes = collector.collect(self.hp.num_episodes_between_training, self.progress.total_episodes)
        return episodes, build_rollout(episodes, collector.runner.keys)

    def evaluate(self, eval_envs: EnvGroup, runner: PolicyRunner) -> list[dict]:
        """One deterministic episode per evaluation simulator, each starting at its own place."""
        torch.set_num_threads(self.acting_threads)
        count = eval_envs.num_envs
        # A deterministic policy in a deterministic simulator drives identical episodes from identical
        # starts, so the evaluation episodes start spread round the lap from the current round-robin point.
        base = self.progress.total_episodes * self.config.training.round_robin_advance
        plans = [EpisodePlan(start_ndist=(base + index / count) % 1.0) for index in range(count)]
        results = []
        for episode in drive_episodes(eval_envs, runner, plans):
            lap = episode.laps[0]
            results.append({"progress": lap.progress, "reward": lap.reward, "status": lap.status,
                            "lap_time_s": lap.lap_time, "start_time": lap.start_time, "end_time": lap.end_time,
                            "steps": lap.steps})
        return results
