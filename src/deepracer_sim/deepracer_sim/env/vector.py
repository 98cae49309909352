"""`DeepRacerVectorEnv`: N DeepRacer environments in one process, their cameras rendered in one batch."""
from __future__ import annotations

from typing import Any, Sequence

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from deepracer_common.action_space import ActionSpaceError
from deepracer_sim.env.single import DeepRacerEnv
from deepracer_sim.race.reward_function import RewardTimer
from deepracer_sim.sensors.suite import lidar_period


class DeepRacerVectorEnv(VectorEnv):
    """N DeepRacer environments stepped together in one process, with SAME_STEP autoreset.

    Each car's physics, params and reward run in Python/numba as in the single
    environment; the cameras of all N cars are rendered in one call. When a
    sub-environment ends, its last observation and info go to
    info["final_obs"] / info["final_info"] (masks "_final_obs" / "_final_info")
    and the returned observation is already the first one of its next episode.
    info["params"] is an object array holding each car's params dict.
    """

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": []}

    def __init__(self, num_envs: int, **env_kwargs):
        if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive integer, got {num_envs!r}")
        if env_kwargs.get("render_mode") is not None:
            raise ValueError("the vector environment does not render; use DeepRacerEnv(render_mode='rgb_array')")
        base_seed = env_kwargs.pop("seed", None)
        self.num_envs = int(num_envs)
        first = DeepRacerEnv(seed=base_seed, **env_kwargs)
        suite = first._suite
        self.envs = [first] + [
            DeepRacerEnv(_suite=suite, seed=None if base_seed is None else base_seed + i, **env_kwargs)
            for i in range(1, self.num_envs)
        ]
        self._suite = suite
        self.config = first.config
        self.single_observation_space = first.observation_space
        self.single_action_space = first.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.render_mode = None
        self.spec = None
        self._lidar_obs: np.ndarray | None = None
        self._lidar_period = np.full(self.num_envs, -1)
        self._rewards = np.zeros(self.num_envs)
        self._terminations = np.zeros(self.num_envs, dtype=bool)
        self._truncations = np.zeros(self.num_envs, dtype=bool)
        self._discrete = first._discrete
        self._actions = first.actions

    def reset(self, *, seed: int | Sequence[int | None] | None = None, options: dict | None = None):
        if seed is None or isinstance(seed, (int, np.integer)):
            seeds = [None if seed is None else int(seed) + i for i in range(self.num_envs)]
        else:
            seeds = list(seed)
            if len(seeds) != self.num_envs:
                raise ValueError(f"reset got {len(seeds)} seeds for {self.num_envs} environments")
        infos = []
        for env, env_seed in zip(self.envs, seeds):
            gym.Env.reset(env, seed=env_seed)
            env.sim.rng = env.np_random
            if env_seed is not None:
                env.sim.rewind()
            start = (options or {}).get("start_ndist")
            infos.append(env.sim.reset(start_ndist=start))
        self._lidar_period[:] = -1
        obs = self._observe(list(range(self.num_envs)))
        return obs, _batch_infos(infos, self.num_envs)

    def step(self, actions):
        n = self.num_envs
        actions = np.asarray(actions)
        if actions.shape[:1] != (n,):
            raise ActionSpaceError(f"expected one action per environment ({n}), got shape {actions.shape}")
        for i, env in enumerate(self.envs):
            action = actions[i]
            steering, speed = self._actions.command(action)
            env.sim.begin_step(steering, speed, int(action) if self._discrete else -1)
        obs = self._observe(list(range(n)))
        infos = []
        done_rows = []
        with RewardTimer(self.config.episode.reward_time_limit_s) as timer:  # one SIGALRM handler for all cars
            for i, env in enumerate(self.envs):
                outcome = env.sim.finish_step(timer)
                self._rewards[i] = outcome.reward
                self._terminations[i] = outcome.terminated
                self._truncations[i] = outcome.truncated
                infos.append(outcome.info)
                if outcome.terminated or outcome.truncated:
                    done_rows.append(i)
        batched = None
        if done_rows:
            final_obs = np.full(n, None, dtype=object)
            final_infos = []
            for i in done_rows:
                final_obs[i] = {name: value[i].copy() for name, value in obs.items()}
                final_infos.append(infos[i])
                infos[i] = self.envs[i].sim.reset()
                self._lidar_period[i] = -1
            fresh = self._observe(done_rows)
            for name, value in fresh.items():
                obs[name][done_rows] = value
            batched = _batch_infos(infos, n)
            batched["final_obs"] = final_obs
            batched["_final_obs"] = np.isin(np.arange(n), done_rows)
            batched["final_info"] = _batch_infos(final_infos, n, rows=done_rows)
            batched["_final_info"] = batched["_final_obs"].copy()
        else:
            batched = _batch_infos(infos, n)
        return obs, self._rewards.copy(), self._terminations.copy(), self._truncations.copy(), batched

    def _observe(self, rows: list[int]) -> dict:
        envs = [self.envs[i] for i in rows]
        tracks = [env.sim.track for env in envs]
        poses = np.array([env.sim.car.pose for env in envs], dtype=np.float64)
        objects = [env.sim.objects.array for env in envs]
        obs = {}
        config = self.config
        if config.camera is not None:
            obs[config.camera] = self._suite.render(tracks, poses, objects)
        if config.lidar is not None:
            if self._lidar_obs is None:
                size = self.single_observation_space[config.lidar].shape[0]
                self._lidar_obs = np.zeros((self.num_envs, size), dtype=np.float32)
            due = []
            for k, i in enumerate(rows):
                period = lidar_period(self.envs[i].sim.sim_time)
                if period != self._lidar_period[i]:
                    due.append(k)
                    self._lidar_period[i] = period
            if due:
                scanned = self._suite.scan([tracks[k] for k in due], poses[due], [objects[k] for k in due])
                self._lidar_obs[[rows[k] for k in due]] = scanned
            obs[config.lidar] = self._lidar_obs[rows].copy()
        return obs

    def close_extras(self, **kwargs):
        self.envs = []


_DTYPES = {float: np.float64, int: np.int64, bool: np.bool_}


def _batch_infos(infos: list[dict], num_envs: int, rows: Sequence[int] | None = None) -> dict:
    """Gymnasium's vector info layout (value arrays plus "_key" masks), built in one pass.

    Numbers and booleans become typed arrays; anything else (the params dict,
    status strings) an object array.
    """
    out: dict[str, Any] = {}
    first = infos[0] if infos else {}
    keys = tuple(first)
    if rows is None and len(infos) == num_envs and all(tuple(info) == keys for info in infos):
        # The common case (every car stepped, none reset): whole columns at once, one shared
        # read-only mask. Every info of ours has a fixed type per key.
        everywhere = np.ones(num_envs, dtype=bool)
        everywhere.flags.writeable = False
        for key, sample in first.items():
            kind = type(sample)
            if kind is float or kind is int or kind is bool:
                out[key] = np.array([info[key] for info in infos], dtype=_DTYPES[kind])
            else:
                column = np.empty(num_envs, dtype=object)
                for i, info in enumerate(infos):
                    column[i] = info[key]
                out[key] = column
            out["_" + key] = everywhere
        return out
    rows = list(range(len(infos))) if rows is None else list(rows)
    for row, info in zip(rows, infos):
        for key, value in info.items():
            array = out.get(key)
            if array is None:
                kind = type(value)
                if kind is bool or kind is np.bool_:
                    array = np.zeros(num_envs, dtype=bool)
                elif kind is int or isinstance(value, np.integer):
                    array = np.zeros(num_envs, dtype=np.int64)
                elif kind is float or isinstance(value, np.floating):
                    array = np.zeros(num_envs, dtype=np.float64)
                else:
                    array = np.full(num_envs, None, dtype=object)
                out[key] = array
                out["_" + key] = np.zeros(num_envs, dtype=bool)
            try:
                array[row] = value
            except (TypeError, ValueError):  # a key whose type differs between sub-environments
                widened = array.astype(object)
                widened[row] = value
                out[key] = widened
            out["_" + key][row] = True
    return out


def make_vector_env(num_envs: int, **env_kwargs) -> DeepRacerVectorEnv:
    """N DeepRacer environments in one process (see DeepRacerVectorEnv); kwargs as for DeepRacerEnv."""
    return DeepRacerVectorEnv(num_envs, **env_kwargs)
