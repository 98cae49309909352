"""The environments' settings: every DeepRacerEnv argument validated once, shared by the single and
the vectorised environment, which build their simulations and sensors from it."""
from __future__ import annotations

import math
import os
from typing import Any, Callable, Sequence

import numpy as np
from gymnasium import spaces

from deepracer_common.action_space import (
    ContinuousActionSpace,
    DiscreteActionSpace,
    action_space_from_json,
)
from deepracer_common.race import DEFAULT_TRACK, RACE_TYPES, workshop_action_space
from deepracer_sim.car.parameters import DEFAULT_CAR, CarParameters
from deepracer_sim.race.objects import BotCarSettings, ObjectConfigError, ObstacleSettings, parse_positions
from deepracer_sim.race.reward_function import load_reward_function
from deepracer_sim.race.simulation import EpisodeSettings, RaceSimulation
from deepracer_sim.sensors.suite import SensorSuite, validate_lidar_config, validate_sensors
from deepracer_sim.tracks import Track, load_track

# Defaults when a race type asks for objects and no count is given.
DEFAULT_OBSTACLES = 3
DEFAULT_BOT_CARS = 3


def action_space_of(value) -> DiscreteActionSpace | ContinuousActionSpace:
    if value is None:
        return workshop_action_space()
    if isinstance(value, (DiscreteActionSpace, ContinuousActionSpace)):
        return value
    if hasattr(value, "action_space") and isinstance(value.action_space, (DiscreteActionSpace, ContinuousActionSpace)):
        return value.action_space  # a ModelMetadata
    return action_space_from_json(value)


def gym_action_space(actions) -> spaces.Space:
    if isinstance(actions, DiscreteActionSpace):
        return spaces.Discrete(actions.n)
    return spaces.Box(-1.0, 1.0, (2,), dtype=np.float32)


class EnvConfig:
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
        self.actions = action_space_of(action_space)
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
