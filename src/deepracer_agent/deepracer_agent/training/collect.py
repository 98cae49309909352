"""Collecting training episodes: the sampling policy drives the cars until an iteration's episodes are
complete, and the episodes become the rollout PPO trains on.

Every episode that is started is finished. The cars start episodes until `wanted` have started;
a car whose episode ends takes the next one while more are wanted, and otherwise stands still
until the last episode ends, so an iteration holds exactly the episodes it counts. The first time
a car drives, its start point is spread round the lap from the run's round-robin point (each
iteration's episodes then start all over the track, as one simulator's would); after that every
car follows its own round robin.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np
import torch

from deepracer_agent.env_group import EnvGroup
from deepracer_agent.model.simtrace import simtrace_row
from deepracer_agent.policy.runner import PolicyRunner
from deepracer_agent.rl import ppo


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
    # Cut short (step limit, or a reset over topics) rather than ended by a rule: PPO then
    # bootstraps from the value of the state it was cut off in.
    truncated: bool = False
    cut_observation: dict[str, np.ndarray] | None = None

    @property
    def total_reward(self) -> float:
        return float(sum(self.rewards))

    @property
    def steps(self) -> int:
        return len(self.rewards)

    @property
    def completed_lap(self) -> bool:
        return self.status == "lap_complete"

    def record(self, info: Mapping[str, Any], reward: float, done: bool, action: Any, action_space_type: str) -> None:
        """One step's outcome, and its sim-trace row."""
        params = info.get("params") or {}
        if self.start_time is None:
            self.start_time = float(info.get("sim_time", 0.0))
        self.rewards.append(float(reward))
        self.progress = float(info.get("progress", params.get("progress", 0.0)))
        self.status = str(info.get("episode_status", "in_progress"))
        self.end_time = float(info.get("sim_time", 0.0))
        if self.status == "lap_complete":
            self.lap_time = float(info.get("lap_time", self.end_time - self.start_time))
        self.rows.append(simtrace_row(episode=self.number, info=info, reward=reward, done=done, action=action,
                                      action_space_type=action_space_type))


class EpisodeCollector:
    """Complete episodes from an environment group with the runner's sampling policy."""

    def __init__(self, envs: EnvGroup, runner: PolicyRunner, round_robin_advance: float,
                 on_episode_end: Callable[[Episode], None] | None = None):
        self.envs = envs
        self.runner = runner
        self.round_robin_advance = round_robin_advance
        self.on_episode_end = on_episode_end
        self.used = [False] * envs.num_envs
        self.space_type = runner.action_space.type
        self._current: dict[str, np.ndarray] = {}  # every car's latest observation, one array per sensor

    def collect(self, wanted: int, first_number: int) -> list[Episode]:
        """Exactly `wanted` complete episodes, numbered from `first_number`, in number order."""
        envs = self.envs
        keys = self.runner.keys
        next_number = first_number
        running: dict[int, Episode] = {}
        starts = []
        for car in range(min(envs.num_envs, wanted)):
            # First use: spread the cars' round-robin start points round the lap.
            starts.append(None if self.used[car] else
                          (first_number * self.round_robin_advance + car / envs.num_envs) % 1.0)
            self.used[car] = True
            running[car] = Episode(number=next_number)
            next_number += 1
        if running:
            self._reset(sorted(running), starts)
        finished: list[Episode] = []
        while running:
            cars = sorted(running)
            batch = {key: self._current[key][cars] for key in keys}  # a copy: the episodes keep it
            decisions = self.runner.act_batch(batch, deterministic=False)
            observations, rewards, terminated, truncated, infos = envs.step_cars(cars, decisions.env_actions)
            restart = []
            for row, car in enumerate(cars):
                episode = running[car]
                done = bool(terminated[row] or truncated[row])
                for key in keys:
                    episode.observations.setdefault(key, []).append(batch[key][row])
                episode.actions.append(decisions.actions[row])
                episode.log_probs.append(decisions.log_probs[row])
                action = decisions.env_actions[row] if self.space_type == "discrete" else None
                episode.record(infos[row], float(rewards[row]), done, action, self.space_type)
                if not done:
                    continue
                if truncated[row] and not terminated[row]:
                    episode.truncated = True
                    episode.cut_observation = {key: np.array(observations[key][row]) for key in keys}
                finished.append(episode)
                del running[car]
                if self.on_episode_end is not None:
                    self.on_episode_end(episode)
                if next_number - first_number < wanted:
                    running[car] = Episode(number=next_number)
                    next_number += 1
                    restart.append(car)
            self._store(cars, observations)
            if restart:
                self._reset(restart, None)
        finished.sort(key=lambda e: e.number)
        return finished

    def _reset(self, cars: list[int], starts) -> None:
        observations, _ = self.envs.reset_cars(cars, start_ndist=starts)
        self._store(cars, observations)

    def _store(self, cars: list[int], observations: Mapping[str, np.ndarray]) -> None:
        for key, value in observations.items():
            buffer = self._current.get(key)
            if buffer is None:
                buffer = self._current[key] = np.zeros((self.envs.num_envs, *value.shape[1:]), dtype=value.dtype)
            buffer[cars] = value


def build_rollout(episodes: list[Episode], keys) -> ppo.Rollout:
    """The episodes laid end to end; the rollout owns their data afterwards (the episodes keep their records)."""
    observations = {key: torch.from_numpy(np.stack([o for e in episodes for o in e.observations[key]])) for key in keys}
    actions = torch.from_numpy(np.stack([a for e in episodes for a in e.actions]))
    log_probs = torch.from_numpy(np.array([p for e in episodes for p in e.log_probs], dtype=np.float32))
    rewards = torch.tensor([r for e in episodes for r in e.rewards], dtype=torch.float32)
    last = [i == e.steps - 1 for e in episodes for i in range(e.steps)]
    dones = torch.tensor(last, dtype=torch.bool)
    truncated = torch.tensor([flag and e.truncated for e in episodes for flag in
                              (i == e.steps - 1 for i in range(e.steps))], dtype=torch.bool)
    cut = [e for e in episodes if e.truncated]
    cut_observations = {key: torch.from_numpy(np.stack([e.cut_observation[key] for e in cut])) for key in keys} \
        if cut else None
    for episode in episodes:
        episode.observations = {}
        episode.actions = []
        episode.log_probs = []
        episode.cut_observation = None
    return ppo.Rollout(observations, actions, log_probs, rewards, dones, truncated=truncated,
                       cut_observations=cut_observations)
