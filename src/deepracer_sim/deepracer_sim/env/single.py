"""`DeepRacerEnv` (registered as DeepRacer-v0): the AWS DeepRacer simulator's episode loop as a Gymnasium env.

The loop (docs/deepracer-semantics.md) runs around our car model and headless sensors:
- observations: a Dict keyed by model_metadata sensor names (camera (120,160,1)
  uint8, STEREO_CAMERAS (120,160,2), LIDAR (64,), SECTOR_LIDAR (8,),
  DISCRETIZED_SECTOR_LIDAR (sectors·values,) float32);
- actions: Discrete(n) or Box(-1, 1, (2,)) from a deepracer_common action space;
- reward: the user's reward_function(params) on RUN steps, 0 on prepare/pause;
- info: the params dict and everything a sim-trace row needs.

A seeded reset (`reset(seed=...)`) also rewinds the round-robin start point and
the driving direction, so a seeded run repeats exactly.

Front ends that drive the car as the real car's servo does (sim_node) step with
`step_commanded(steering, speed, action_index, drive=...)`: the params report the action's command
while the wheels obey `drive`, where speed 0 brakes to rest. `lidar_ranges` holds the raw ranges the
latest LIDAR observation was made from (what /scan publishes).
"""
from __future__ import annotations

import gymnasium as gym
import numpy as np

from deepracer_common.action_space import DiscreteActionSpace
from deepracer_sim.env.config import EnvConfig, gym_action_space
from deepracer_sim.sensors.suite import SensorSuite, lidar_period, observation_space
from deepracer_sim.tracks import Track


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
        immobilized_penalty, continuous_laps: evaluation rules (docs/deepracer-semantics.md#resets-after-a-failure,
        docs/deepracer-semantics.md#evaluation).
      round_robin_advance, start_ndist: training start points (docs/deepracer-semantics.md#round-robin-start).
      dt (s per step, 1/15), max_steps, reward_time_limit_s, walls, sensor_noise, car_parameters,
      render_mode (None | "rgb_array": the car's camera in colour), seed.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 15}

    def __init__(self, _suite: SensorSuite | None = None, **kwargs):
        config = EnvConfig(**kwargs)
        self.config = config
        self.render_mode = config.render_mode
        self.observation_space = observation_space(config.camera, config.lidar, config.lidar_config)
        self.action_space = gym_action_space(config.actions)
        self.actions = config.actions
        self._discrete = isinstance(config.actions, DiscreteActionSpace)
        self._suite = _suite if _suite is not None else config.make_suite()
        self.sim = config.make_simulation(config.seed)
        self._lidar_obs: np.ndarray | None = None
        self._lidar_ranges: np.ndarray | None = None
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
        return self.step_commanded(steering, speed, int(action) if self._discrete else -1)

    def step_commanded(self, steering_deg: float, speed: float, action_index: int = -1,
                       drive: tuple[float, float] | None = None):
        """step() with the command given directly: (steering deg, speed m/s, action index or -1) is what the
        params and the sim-trace report; `drive` = (steering deg, speed m/s) is what the wheels obey when
        it differs (a servo message; speed 0 brakes to rest and is not immobilized), None = the command."""
        self.sim.begin_step(steering_deg, speed, action_index, drive)
        self._obs = self._observe()
        outcome = self.sim.finish_step()
        return self._obs, outcome.reward, outcome.terminated, outcome.truncated, outcome.info

    def render(self):
        if self.render_mode != "rgb_array":
            return None
        return self._suite.rgb_frame(self.sim.track, self.sim.car.pose, self.sim.objects.array)

    @property
    def lidar_ranges(self) -> np.ndarray | None:
        """Raw ranges (64,) float32, metres, inf = no hit, of the latest LIDAR observation (the scan of the
        current 10 Hz LIDAR period), read-only; None without a LIDAR or before the first reset."""
        if self._lidar_ranges is None:
            return None
        # A read-only view made here, not on every scan: the training loop never asks for it.
        view = self._lidar_ranges.view()
        view.flags.writeable = False
        return view

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
                self._lidar_ranges = self._suite.scan_ranges([sim.track], pose, objects)[0]
                self._lidar_obs = self._suite.observation(self._lidar_ranges)
                self._lidar_period = period
            obs[self.config.lidar] = self._lidar_obs.copy()  # the caller keeps it; the cache must stay ours
        return obs

    @property
    def track(self) -> Track:
        """The track in the direction currently driven."""
        return self.sim.track
