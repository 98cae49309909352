"""The cars the agent drives: an environment group, as training and evaluation use it.

An environment group is `num_envs` simulated cars that the caller starts and steps a few at a
time, so it can run exactly the episodes it wants (cars it does not need stand still):

    num_envs                         int
    single_observation_space         gymnasium Dict space of one car's observation
    reset_cars(rows, start_ndist=None, seeds=None) -> (observations, infos)
    step_cars(rows, actions)         -> (observations, rewards, terminated, truncated, infos)
    close()

Observations come batched in the order of `rows` (a dict of arrays), infos as one dict per car
(the simulator's step info: params, episode_status, progress, sim_time, ...). A car whose episode
ends is not reset by the group. deepracer_sim.env.DeepRacerVectorEnv is the group in this process
(its cameras rendered in one call per step); deepracer_agent.nodes.topic_training.TopicEnvGroup is
one sim_node over ROS.
"""
from __future__ import annotations

from typing import Any, Protocol, Sequence

import numpy as np


class EnvGroup(Protocol):
    num_envs: int
    single_observation_space: Any

    def reset_cars(self, rows: Sequence[int], start_ndist: float | Sequence[float | None] | None = None,
                   seeds: Sequence[int | None] | None = None) -> tuple[dict, list[dict]]: ...

    def step_cars(self, rows: Sequence[int], actions) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray, list[dict]]: ...

    def close(self) -> None: ...


def simulator_group(num_envs: int, env_kwargs: dict) -> EnvGroup:
    """`num_envs` simulators in this process (deepracer_sim.env.DeepRacerVectorEnv); car i gets seed + i."""
    from deepracer_sim.env import DeepRacerVectorEnv

    return DeepRacerVectorEnv(num_envs, **env_kwargs)
