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
    reset(options={"start_ndist": x}) takes one start point for every car, or a
    sequence with one per car (None: that car's own round-robin point).

    A caller that decides episode by episode which cars drive (a trainer that
    needs an exact number of episodes) uses reset_cars() and step_cars() instead:
    they start and step only the cars named, render those cars' cameras in one
    call, and never reset a car by themselves; the other cars stand still.
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
        self._discrete = first._discrete
        self._actions = first.actions

    def reset(self, *, seed: int | Sequence[int | None] | None = None, options: dict | None = None):
        if seed is None or isinstance(seed, (int, np.integer)):
            seeds = [None if seed is None else int(seed) + i for i in range(self.num_envs)]
        else:
            seeds = list(seed)
            if len(seeds) != self.num_envs:
                raise ValueError(f"reset got {len(seeds)} seeds for {self.num_envs} environments")
        starts = self._start_points(options, self.num_envs)
        rows = list(range(self.num_envs))
        infos = [self._reset_car(i, seeds[i], starts[i]) for i in rows]
        obs = self._observe(rows)
        return obs, _batch_infos(infos, self.num_envs)

    def step(self, actions):
        n = self.num_envs
        actions = np.asarray(actions)
        if actions.shape[:1] != (n,):
            raise ActionSpaceError(f"expected one action per environment ({n}), got shape {actions.shape}")
        rows = list(range(n))
        obs, rewards, terminations, truncations, infos = self._advance(rows, actions)
        done_rows = [i for i in rows if terminations[i] or truncations[i]]
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
        return obs, rewards, terminations, truncations, batched

    # ------------------------------------------------------------------ some cars at a time
    def reset_cars(self, rows: Sequence[int], start_ndist: float | Sequence[float | None] | None = None,
                   seeds: Sequence[int | None] | None = None) -> tuple[dict, list[dict]]:
        """Start a new episode on the cars in `rows` only.

        start_ndist: one start point for all of them, or one per row (None: the car's
        own round-robin point); seeds: one per row (None: keep the car's random stream;
        a seed also rewinds the car's run, as DeepRacerEnv.reset(seed=...) does).
        Returns their first observations (batched in the order of `rows`) and infos.
        """
        rows = self._check_rows(rows)
        if seeds is not None and len(seeds) != len(rows):
            raise ValueError(f"reset_cars got {len(seeds)} seeds for {len(rows)} cars")
        starts = self._start_points({"start_ndist": start_ndist}, len(rows))
        infos = [self._reset_car(i, None if seeds is None else seeds[k], starts[k]) for k, i in enumerate(rows)]
        return self._observe(rows), infos

    def step_cars(self, rows: Sequence[int], actions) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray, list[dict]]:
        """One step of the cars in `rows` (one action each, in that order); the others stand still.

        Returns (observations, rewards, terminated, truncated, infos) for those cars in
        the order of `rows`. A car whose episode ends is not reset: its observation is
        the last of the episode, and it must be reset_cars()'ed before it drives again.
        """
        rows = self._check_rows(rows)
        actions = np.asarray(actions)
        if actions.shape[:1] != (len(rows),):
            raise ActionSpaceError(f"expected one action per car stepped ({len(rows)}), got shape {actions.shape}")
        ended = [i for i in rows if self.envs[i].sim.done]
        if ended:
            raise RuntimeError(f"car(s) {ended} finished their episode; reset_cars() them before stepping")
        return self._advance(rows, actions)

    def _check_rows(self, rows: Sequence[int]) -> list[int]:
        rows = [int(i) for i in rows]
        if len(set(rows)) != len(rows) or any(not 0 <= i < self.num_envs for i in rows):
            raise ValueError(f"car rows must be distinct indices in [0, {self.num_envs}), got {rows}")
        return rows

    @staticmethod
    def _start_points(options: dict | None, count: int) -> list[float | None]:
        options = options or {}
        unknown = set(options) - {"start_ndist"}
        if unknown:
            raise ValueError(f"unknown reset option(s) {sorted(unknown)}; known: start_ndist")
        start = options.get("start_ndist")
        if start is None or isinstance(start, (int, float, np.integer, np.floating)):
            return [None if start is None else float(start)] * count
        starts = [None if value is None else float(value) for value in start]
        if len(starts) != count:
            raise ValueError(f"start_ndist has {len(starts)} values for {count} cars")
        return starts

    def _reset_car(self, index: int, seed: int | None, start_ndist: float | None) -> dict:
        env = self.envs[index]
        gym.Env.reset(env, seed=seed)
        env.sim.rng = env.np_random
        if seed is not None:
            env.sim.rewind()
        self._lidar_period[index] = -1
        return env.sim.reset(start_ndist=start_ndist)

    def _advance(self, rows: list[int], actions: np.ndarray):
        """Step the cars in `rows`: physics, one camera render for all of them, then the rewards."""
        envs = self.envs
        for k, i in enumerate(rows):
            action = actions[k]
            steering, speed = self._actions.command(action)
            envs[i].sim.begin_step(steering, speed, int(action) if self._discrete else -1)
        obs = self._observe(rows)
        count = len(rows)
        rewards = np.zeros(count)
        terminations = np.zeros(count, dtype=bool)
        truncations = np.zeros(count, dtype=bool)
        infos = []
        with RewardTimer(self.config.episode.reward_time_limit_s) as timer:  # one SIGALRM handler for all cars
            for k, i in enumerate(rows):
                outcome = envs[i].sim.finish_step(timer)
                rewards[k] = outcome.reward
                terminations[k] = outcome.terminated
                truncations[k] = outcome.truncated
                infos.append(outcome.info)
        return obs, rewards, terminations, truncations, infos

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
