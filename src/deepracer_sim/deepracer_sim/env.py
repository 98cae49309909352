"""Gymnasium environments: `DeepRacerEnv` (registered as DeepRacer-v0) and a vectorised form.

The environment is the AWS DeepRacer simulator's episode loop (spec §1-§4, §8)
around our car model and headless sensors:
- observations: a Dict keyed by model_metadata sensor names (camera (120,160,1)
  uint8, STEREO_CAMERAS (120,160,2), LIDAR (64,), SECTOR_LIDAR (8,),
  DISCRETIZED_SECTOR_LIDAR (sectors·values,) float32);
- actions: Discrete(n) or Box(-1, 1, (2,)) from a deepracer_control action space;
- reward: the user's reward_function(params) on RUN steps, 0 on prepare/pause;
- info: the params dict and everything a sim-trace row needs (spec §6.1).

A seeded reset (`reset(seed=...)`) also rewinds the round-robin start point and
the driving direction, so a seeded run repeats exactly.
"""
from __future__ import annotations

import math
import os
from typing import Any, Callable, Sequence

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from deepracer_control.action_space import (
    ActionSpaceError,
    ContinuousActionSpace,
    DiscreteActionSpace,
    action_space_from_json,
    discrete_from_garage,
)
from deepracer_sim.car.parameters import DEFAULT_CAR, CarParameters
from deepracer_sim.objects import BotCarSettings, ObjectConfigError, ObstacleSettings, parse_positions
from deepracer_sim.observations import (
    SensorSuite,
    lidar_period,
    observation_space,
    validate_lidar_config,
    validate_sensors,
)
from deepracer_sim.reward import RewardTimer, load_reward_function
from deepracer_sim.simulation import EpisodeSettings, RaceSimulation
from deepracer_sim.tracks import Track, load_track

RACE_TYPES = ("TIME_TRIAL", "OBJECT_AVOIDANCE", "HEAD_TO_BOT")
DEFAULT_TRACK = "crescent_loop"
# Defaults when a race type asks for objects and no count is given.
DEFAULT_OBSTACLES = 3
DEFAULT_BOT_CARS = 3

__all__ = ["DeepRacerEnv", "DeepRacerVectorEnv", "make_vector_env", "ActionSpaceError", "RACE_TYPES"]


def workshop_action_space() -> DiscreteActionSpace:
    """The workshop's default: 30° in 5 steps, up to 1 m/s in 3 steps (15 actions)."""
    return discrete_from_garage(30.0, 5, 1.0, 3)


def _action_space(value) -> DiscreteActionSpace | ContinuousActionSpace:
    if value is None:
        return workshop_action_space()
    if isinstance(value, (DiscreteActionSpace, ContinuousActionSpace)):
        return value
    if hasattr(value, "action_space") and isinstance(value.action_space, (DiscreteActionSpace, ContinuousActionSpace)):
        return value.action_space  # a ModelMetadata
    return action_space_from_json(value)


def _gym_action_space(actions) -> spaces.Space:
    if isinstance(actions, DiscreteActionSpace):
        return spaces.Discrete(actions.n)
    return spaces.Box(-1.0, 1.0, (2,), dtype=np.float32)


class _Config:
    """Validated constructor arguments shared by the single and the vector environment."""

    def __init__(
        self,
        track: "str | os.PathLike | Track" = DEFAULT_TRACK,
        reverse: bool = False,
        alternate_direction: bool = False,
        sensors: Sequence[str] = ("FRONT_FACING_CAMERA",),
        lidar_config: dict | None = None,
        action_space: Any = None,
        race_type: str = "TIME_TRIAL",
        number_of_obstacles: int | None = None,
        obstacle_positions: Sequence | None = None,
        randomize_obstacles: bool = False,
        obstacle_min_distance: float = 2.0,
        number_of_bot_cars: int | None = None,
        bot_car_speed: float = 0.2,
        bot_car_min_distance: float = 2.0,
        randomize_bot_cars: bool = False,
        bot_car_lane_change: bool = False,
        lower_lane_change_time: float = 3.0,
        upper_lane_change_time: float = 5.0,
        lane_change_distance: float = 1.0,
        bot_car_penalty: float = 2.0,
        reward_function: "Callable[[dict], float] | str | os.PathLike | None" = None,
        evaluation: bool = False,
        number_of_resets: int = 0,
        off_track_penalty: float = 2.0,
        collision_penalty: float = 5.0,
        reverse_penalty: float | None = None,
        immobilized_penalty: float = 0.0,
        continuous_laps: int = 0,
        round_robin_advance: float = 0.05,
        start_ndist: float = 0.0,
        dt: float = 1.0 / 15.0,
        max_steps: int = 100_000,
        reward_time_limit_s: float | None = 5.0,
        walls: bool = False,
        sensor_noise: bool = False,
        car_parameters: CarParameters | None = None,
        render_mode: str | None = None,
        seed: int | None = None,
    ):
        if isinstance(track, Track) and track.is_reversed:
            reverse = True  # a Track handed over already reversed keeps its direction
        self.track = load_track(track)  # the forward direction; `reverse` picks the one driven
        self.camera, self.lidar = validate_sensors(list(sensors) if not isinstance(sensors, str) else sensors)
        self.sensor_names = [s for s in (self.camera, self.lidar) if s is not None]
        self.lidar_config = validate_lidar_config(lidar_config)
        self.actions = _action_space(action_space)
        if race_type not in RACE_TYPES:
            raise ValueError(f"race_type must be one of {RACE_TYPES}, got {race_type!r}")
        self.race_type = race_type
        positions = parse_positions(obstacle_positions)
        if number_of_obstacles is None:
            number_of_obstacles = (len(positions) if positions is not None
                                   else DEFAULT_OBSTACLES if race_type == "OBJECT_AVOIDANCE" else 0)
        if number_of_bot_cars is None:
            number_of_bot_cars = DEFAULT_BOT_CARS if race_type == "HEAD_TO_BOT" else 0
        for name, value in (("number_of_obstacles", number_of_obstacles), ("number_of_bot_cars", number_of_bot_cars)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ObjectConfigError(f"{name} must be a non-negative integer, got {value!r}")
        if positions is not None and len(positions) != number_of_obstacles:
            raise ObjectConfigError(
                f"obstacle_positions lists {len(positions)} positions but number_of_obstacles is {number_of_obstacles}"
            )
        if race_type == "TIME_TRIAL" and (number_of_obstacles or number_of_bot_cars):
            raise ObjectConfigError("a TIME_TRIAL race has no obstacles or bot cars; use OBJECT_AVOIDANCE or HEAD_TO_BOT")
        for name, value in (("obstacle_min_distance", obstacle_min_distance), ("bot_car_speed", bot_car_speed),
                            ("bot_car_min_distance", bot_car_min_distance),
                            ("lower_lane_change_time", lower_lane_change_time),
                            ("upper_lane_change_time", upper_lane_change_time),
                            ("lane_change_distance", lane_change_distance), ("bot_car_penalty", bot_car_penalty)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and value >= 0):
                raise ObjectConfigError(f"{name} must be a non-negative number, got {value!r}")
        if number_of_bot_cars and bot_car_speed <= 0:
            raise ObjectConfigError(f"bot_car_speed must be positive, got {bot_car_speed!r}")
        if upper_lane_change_time < lower_lane_change_time:
            raise ObjectConfigError("upper_lane_change_time must not be below lower_lane_change_time")
        self.obstacles = ObstacleSettings(int(number_of_obstacles), positions, bool(randomize_obstacles),
                                          float(obstacle_min_distance))
        self.bot_cars = BotCarSettings(int(number_of_bot_cars), float(bot_car_speed), float(bot_car_min_distance),
                                       bool(randomize_bot_cars), bool(bot_car_lane_change),
                                       float(lower_lane_change_time), float(upper_lane_change_time),
                                       float(lane_change_distance), float(bot_car_penalty))
        if self.bot_cars.count and not self.track.is_loop:
            raise ObjectConfigError(f"bot cars need a closed track; {self.track.name} is open")
        if isinstance(continuous_laps, bool):
            raise ValueError("continuous_laps is a number of laps (0 = one lap per episode), not a flag")
        self.episode = EpisodeSettings(
            reverse=bool(reverse), alternate_direction=bool(alternate_direction), evaluation=bool(evaluation),
            number_of_resets=number_of_resets, off_track_penalty=off_track_penalty,
            collision_penalty=collision_penalty, reverse_penalty=reverse_penalty,
            immobilized_penalty=immobilized_penalty, continuous_laps=continuous_laps,
            round_robin_advance=round_robin_advance, start_ndist=start_ndist, dt=dt, max_steps=max_steps,
            reward_time_limit_s=reward_time_limit_s,
        )
        if reward_function is None or callable(reward_function):
            self.reward_function = reward_function
        elif isinstance(reward_function, (str, os.PathLike)):
            self.reward_function = load_reward_function(reward_function)
        else:
            raise ValueError(f"reward_function must be a callable or a .py path, got {reward_function!r}")
        self.walls = bool(walls)
        self.sensor_noise = bool(sensor_noise)
        self.car_parameters = car_parameters or DEFAULT_CAR
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.render_mode = render_mode
        self.seed = seed

    def make_suite(self) -> SensorSuite:
        noise_seed = None
        if self.sensor_noise:
            noise_seed = int(np.random.SeedSequence(self.seed).generate_state(1)[0])
        return SensorSuite(self.camera, self.lidar, self.lidar_config, walls=self.walls, noise_seed=noise_seed)

    def make_simulation(self, seed: int | None) -> RaceSimulation:
        return RaceSimulation(self.track, self.episode, self.obstacles, self.bot_cars, self.reward_function,
                              self.car_parameters, rng=np.random.default_rng(seed))


class DeepRacerEnv(gym.Env):
    """The AWS DeepRacer training/evaluation environment on a laptop CPU.

    Keyword arguments (all optional):
      track: shipped name (see deepracer_sim.tracks.list_tracks()), route .npy path or Track.
      reverse / alternate_direction: drive against the file order / toggle after each training episode.
      sensors, lidar_config: model_metadata sensor names (one camera and/or one LIDAR).
      action_space: a deepracer_control action space, a ModelMetadata, or the model_metadata JSON value.
      race_type: TIME_TRIAL | OBJECT_AVOIDANCE | HEAD_TO_BOT, with number_of_obstacles,
        obstacle_positions ("ndist,lane" strings), randomize_obstacles, obstacle_min_distance,
        number_of_bot_cars, bot_car_speed, bot_car_min_distance, randomize_bot_cars,
        bot_car_lane_change, lower/upper_lane_change_time, lane_change_distance, bot_car_penalty.
      reward_function: callable(params) -> float or a .py path; None = centre-line example.
      evaluation, number_of_resets, off_track_penalty, collision_penalty, reverse_penalty,
        immobilized_penalty, continuous_laps: evaluation rules (spec §2.5, §2.8).
      round_robin_advance, start_ndist: training start points (spec §2.4).
      dt (s per step, 1/15), max_steps, reward_time_limit_s, walls, sensor_noise, car_parameters,
      render_mode (None | "rgb_array": the car's camera in colour), seed.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 15}

    def __init__(self, _suite: SensorSuite | None = None, **kwargs):
        config = _Config(**kwargs)
        self.config = config
        self.render_mode = config.render_mode
        self.observation_space = observation_space(config.camera, config.lidar, config.lidar_config)
        self.action_space = _gym_action_space(config.actions)
        self.actions = config.actions
        self._discrete = isinstance(config.actions, DiscreteActionSpace)
        self._suite = _suite if _suite is not None else config.make_suite()
        self.sim = config.make_simulation(config.seed)
        self._lidar_obs: np.ndarray | None = None
        self._lidar_period = -1
        self._obs: dict | None = None
        if config.seed is not None:
            self._np_random, self._np_random_seed = gym.utils.seeding.np_random(config.seed)
            self.action_space.seed(config.seed)

    # ------------------------------------------------------------------ gymnasium API
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.sim.rng = self.np_random
        if seed is not None:
            self.sim.rewind()
        start_ndist = None
        if options:
            unknown = set(options) - {"start_ndist"}
            if unknown:
                raise ValueError(f"unknown reset option(s) {sorted(unknown)}; known: start_ndist")
            start_ndist = options.get("start_ndist")
        info = self.sim.reset(start_ndist=start_ndist)
        self._lidar_period = -1
        self._obs = self._observe()
        return self._obs, info

    def step(self, action):
        steering, speed = self.actions.command(action)
        index = int(action) if self._discrete else -1
        self.sim.begin_step(steering, speed, index)
        self._obs = self._observe()
        outcome = self.sim.finish_step()
        return self._obs, outcome.reward, outcome.terminated, outcome.truncated, outcome.info

    def render(self):
        if self.render_mode != "rgb_array":
            return None
        return self._suite.rgb_frame(self.sim.track, self.sim.car.pose, self.sim.objects.array)

    # ------------------------------------------------------------------ helpers
    def _observe(self) -> dict:
        sim = self.sim
        pose = np.array([sim.car.pose], dtype=np.float64)
        objects = [sim.objects.array]
        obs = {}
        if self.config.camera is not None:
            obs[self.config.camera] = self._suite.render([sim.track], pose, objects)[0]
        if self.config.lidar is not None:
            period = lidar_period(sim.sim_time)
            if period != self._lidar_period or self._lidar_obs is None:
                self._lidar_obs = self._suite.scan([sim.track], pose, objects)[0]
                self._lidar_period = period
            obs[self.config.lidar] = self._lidar_obs.copy()  # the caller keeps it; the cache must stay ours
        return obs

    @property
    def track(self) -> Track:
        """The track in the direction currently driven."""
        return self.sim.track


# ---------------------------------------------------------------------- vectorised
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
