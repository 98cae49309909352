"""One simulated DeepRacer episode loop without sensors: car, track, objects, rules, reward.

`RaceSimulation` is the environment minus the observation. A step is split in
two so a vectorised environment can render every car's camera in one call
between the halves:

    sim.begin_step(steering_deg, speed, action_index)   # params + rules on the current pose, then physics
    ...render the new pose(s)...
    sim.finish_step()                                    # reward, resets/pauses, episode end

Order within a step follows the simapp (docs/deepracer-semantics.md#step-timing, docs/deepracer-semantics.md#phases):
the params and the
reset rules describe the pose at which the previous observation was taken
(before this action moves the car), while steering_angle and speed are this
action's command. The reward function is called in RUN phase (also on the
terminal step); the first step of every episode is a `prepare` step that sends
a zero command, and a car that is reset after a failure (evaluation with
resets) sits out its penalty in `pause` steps.

A front end that drives the car the way the real car's servo does (sim_node, the Gazebo bridge)
passes `drive=(steering_deg, speed)` to begin_step: the params still report the action's command,
the wheels obey `drive`, and a drive speed of 0 brakes the car to rest (an action never stops it).
A car standing still because its drive command says stop is not immobilized
(docs/deepracer-semantics.md#termination-rules).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from deepracer_common.race import (
    CRASHED,
    IMMOBILIZED,
    IN_PROGRESS,
    LAP_COMPLETE,
    OFF_TRACK,
    PAUSE,
    PREPARE,
    REVERSED,
)
from deepracer_sim.car.dynamics import Car
from deepracer_sim.car.parameters import DEFAULT_CAR, CarParameters
from deepracer_sim.race.objects import (
    INNER,
    OUTER,
    RESET_BEHIND_DISTANCE,
    BotCarSettings,
    ObjectManager,
    ObstacleSettings,
)
from deepracer_sim.race.params import ParamsBuilder, compute_progress, copy_params
from deepracer_sim.race.reward_function import DEFAULT_TIME_LIMIT_S, RewardTimer, call_reward, centre_line_reward
from deepracer_sim.tracks import Track

# Phases of the agent (docs/deepracer-semantics.md#phases).
PHASE_PREPARE, PHASE_RUN, PHASE_PAUSE = "prepare", "run", "pause"

MAX_STEPS = 100_000  # per episode (environments/deepracer_racetrack_env.py)
IMMOBILIZED_DISTANCE = 0.0003  # m between consecutive steps
IMMOBILIZED_STEPS = 15
REVERSED_STEPS = 15


@dataclass(frozen=True)
class EpisodeSettings:
    reverse: bool = False
    alternate_direction: bool = False
    evaluation: bool = False
    number_of_resets: int = 0
    off_track_penalty: float = 2.0  # s (evaluation worker code defaults, docs/deepracer-semantics.md#evaluation)
    collision_penalty: float = 5.0
    reverse_penalty: float | None = None  # None = off_track_penalty
    immobilized_penalty: float = 0.0
    continuous_laps: int = 0  # > 0: one episode drives this many laps (evaluation's IS_CONTINUOUS)
    round_robin_advance: float = 0.05  # of the track, after every training episode
    start_ndist: float = 0.0
    dt: float = 1.0 / 15.0
    max_steps: int = MAX_STEPS
    reward_time_limit_s: float | None = DEFAULT_TIME_LIMIT_S

    def __post_init__(self) -> None:
        def number(name, low=0.0, high=math.inf, integer=False):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise ValueError(f"{name} must be a number, got {value!r}")
            if integer and int(value) != value:
                raise ValueError(f"{name} must be a whole number, got {value!r}")
            if not (math.isfinite(value) and low <= value <= high):
                raise ValueError(f"{name} must be in [{low:g}, {high:g}], got {value!r}")

        number("number_of_resets", integer=True)
        number("off_track_penalty")
        number("collision_penalty")
        if self.reverse_penalty is not None:
            number("reverse_penalty")
        number("immobilized_penalty")
        number("continuous_laps", integer=True)
        number("round_robin_advance", 0.0, 1.0)
        number("start_ndist", 0.0, 1.0)
        if self.start_ndist >= 1.0:
            raise ValueError(f"start_ndist must be in [0, 1), got {self.start_ndist!r}")
        number("dt", 1e-3, 1.0)
        number("max_steps", 1, integer=True)
        if self.reward_time_limit_s is not None:
            number("reward_time_limit_s", 1e-3)


@dataclass
class StepOutcome:
    """What one step produced, everything a sim-trace row needs (docs/deepracer-semantics.md#sim-trace)."""

    params: dict
    status: str
    reward: float = 0.0
    terminated: bool = False
    truncated: bool = False
    info: dict = field(default_factory=dict)


class RaceSimulation:
    def __init__(
        self,
        track: Track,
        settings: EpisodeSettings = EpisodeSettings(),
        obstacles: ObstacleSettings = ObstacleSettings(),
        bot_cars: BotCarSettings = BotCarSettings(),
        reward_function: Callable[[dict], float] | None = None,
        car_parameters: CarParameters = DEFAULT_CAR,
        rng: np.random.Generator | None = None,
        car: Car | None = None,
    ):
        """`car`: the car to drive, by default a `Car` with `car_parameters`; a stand-in with the same
        interface (state, pose, place, drive, brake, coast_to_stop) lets another physics engine move it."""
        self.settings = settings
        self.track = track.directed(settings.reverse)
        self._builders: dict[bool, ParamsBuilder] = {}
        self.objects = ObjectManager(obstacles, bot_cars)
        self.reward_function = reward_function or centre_line_reward
        self.car = car if car is not None else Car(car_parameters)
        self.rng = rng if rng is not None else np.random.default_rng()
        self.start_ndist = float(settings.start_ndist)
        self.sim_time = 0.0
        self.episode = -1
        self._trace_episode = 0
        self._laps_before_episode = 0
        self._episode_started = False
        self._pending: StepOutcome | None = None
        self.steps = 0.0
        self.done = True

    # ------------------------------------------------------------------ helpers
    @property
    def builder(self) -> ParamsBuilder:
        builder = self._builders.get(self.track.is_reversed)
        if builder is None:
            builder = ParamsBuilder(self.track)
            self._builders[self.track.is_reversed] = builder
        return builder

    @property
    def pose(self) -> tuple[float, float, float]:
        return self.car.pose

    # ------------------------------------------------------------------ reset
    def reset(self, start_ndist: float | None = None) -> dict:
        """Start a new episode; returns the info of the start state."""
        s = self.settings
        if self._episode_started and not s.evaluation:
            # finish_episode(): round robin and direction toggle after every training episode
            # (docs/deepracer-semantics.md#round-robin-start, docs/deepracer-semantics.md#driving-direction).
            self.start_ndist = (self.start_ndist + s.round_robin_advance) % 1.0
            if s.alternate_direction:
                self.track = self.track.reversed()
        if self._episode_started:
            self._laps_before_episode += self.lap_count if s.continuous_laps else 1
        if start_ndist is not None:
            if not (isinstance(start_ndist, (int, float)) and 0.0 <= start_ndist < 1.0):
                raise ValueError(f"start_ndist must be in [0, 1), got {start_ndist!r}")
            self.start_ndist = float(start_ndist)
        self.episode += 1
        self.objects.reset(self.track, self.rng)
        self.car.place(*self.start_pose())
        self.steps = 0.0
        self.phase = PHASE_PREPARE
        self.prev_progress = 0.0
        self.reset_count = 0
        self.pause_remaining = 0.0
        self.lap_count = 0
        self.lap_times: list[float] = []
        self.episode_start_time = self.sim_time
        self.lap_start_time = self.sim_time
        self.obstacle_crash_counter = 0
        self._clear_rule_counters()
        self._stopped_on_command = False
        self._last_base = (self.car.state[0], self.car.state[1])
        self._episode_started = False
        self._pending = None
        self.done = False
        return self._reset_info()

    def rewind(self) -> None:
        """Start the run over: start point, direction, sim clock and episode count (a seeded reset
        repeats the whole run)."""
        self.start_ndist = float(self.settings.start_ndist)
        self.track = self.track.directed(self.settings.reverse)
        self._episode_started = False
        self.sim_time = 0.0
        self.episode = -1
        self._laps_before_episode = 0

    def start_pose(self) -> tuple[float, float, float]:
        """Training/evaluation start pose: the centre-line point at start_ndist, or the lane away
        from an object within 1 m (docs/deepracer-semantics.md#round-robin-start)."""
        track = self.track
        arc = self.start_ndist * track.length
        lane = self.objects.nearby_lane(arc)
        if lane is not None:
            pose = track.lane_point(arc, -lane)
        else:
            point = track.point_at(arc)
            pose = (float(point[0]), float(point[1]), track.heading_at(arc))
        if not all(math.isfinite(v) for v in pose):
            point = track.point_at(0.0)
            pose = (float(point[0]), float(point[1]), track.heading_at(0.0))
        return pose

    def _clear_rule_counters(self) -> None:
        self.immobile_steps = 0
        self.reverse_steps = 0

    def _reset_info(self) -> dict:
        x, y, yaw = self.car.pose
        g = self.builder.geometry(x, y, yaw)
        ndist = float(g[2]) / self.track.length
        return {
            "episode": self.episode,
            "track": self.track.name,
            "is_reversed": self.track.is_reversed,
            "start_ndist": self.start_ndist,
            "progress": compute_progress(ndist, self.start_ndist, 0.0),
            "sim_time": self.sim_time,
            "episode_status": PREPARE,
        }

    # ------------------------------------------------------------------ step, first half
    def begin_step(self, steering_deg: float, speed: float, action_index: int = -1,
                   drive: tuple[float, float] | None = None) -> None:
        """Compute params and rules on the current pose, then run the physics for one step.

        steering_deg, speed, action_index: the command the params and the sim-trace report.
        drive: (steering deg, speed m/s) the wheels obey instead, when they follow something else than
        the reported command (a servo message); speed 0 or less brakes to rest, as a servo's zero throttle
        does, and a positive speed is clipped like an action's. None: the wheels obey the reported command.
        """
        if self.done:
            raise RuntimeError("the episode is over; call reset() first")
        if self._pending is not None:
            raise RuntimeError("begin_step() called twice without finish_step()")
        self._episode_started = True
        s = self.settings
        self.steps += 1.0
        x, y, yaw = self.car.pose
        builder = self.builder
        g = builder.geometry(x, y, yaw)
        objects = self.objects.snapshot()
        collided = self.objects.collision(x, y, yaw) if objects is not None else -1
        agent_crashed = False
        if collided >= 0:
            agent_crashed = self._agent_is_at_fault(collided, float(g[2]))
            if not agent_crashed:
                self.objects.bot(collided).pause_remaining = self.objects.bot_settings.penalty_seconds
        params = builder.build(
            x, y, yaw, steering_deg, speed, self.start_ndist, self.prev_progress, self.steps,
            is_crashed=agent_crashed, sim_time=self.sim_time, objects=objects, state=g,
        )
        progress = params["progress"]
        phase = self.phase
        status = IN_PROGRESS
        if phase == PHASE_PREPARE:
            status = PREPARE
        elif phase == PHASE_PAUSE:
            status = PAUSE
        else:
            if self._stopped_on_command:
                # The car stands still because its drive command said stop: that is not being stuck
                # (our rule; the simulator's actions never stop the car).
                self.immobile_steps = 0
            else:
                moved = math.hypot(x - self._last_base[0], y - self._last_base[1])
                self.immobile_steps = self.immobile_steps + 1 if moved <= IMMOBILIZED_DISTANCE else 0
            self.reverse_steps = self.reverse_steps + 1 if progress < self.prev_progress else 0
            if progress >= 100.0:
                status = LAP_COMPLETE
            elif agent_crashed:
                status = CRASHED
            elif params["is_offtrack"]:
                status = OFF_TRACK
            elif self.immobile_steps >= IMMOBILIZED_STEPS:
                status = IMMOBILIZED
            elif self.reverse_steps >= REVERSED_STEPS:
                status = REVERSED
        self._last_base = (x, y)
        # is_crashed stays True only when the collision leads to a pause or the end
        # (docs/deepracer-semantics.md#param-definitions).
        if params["is_crashed"] and status != CRASHED:
            params["is_crashed"] = False
        lap_time = self.sim_time - self.lap_start_time
        self._pending = StepOutcome(params=params, status=status)
        self._pending.info = {
            "_collided": collided,
            "_pose_before": (x, y, yaw),
            "_lap_time": lap_time,
            "_sim_time": self.sim_time,
            "_closest_waypoint": self._euclidean_closest_waypoint(params),
            "action_index": int(action_index),
        }
        # Physics: the prepare step sends a zero command; a paused car is held where it was put.
        # The next step's rules judge the movement this physics makes, so they need to know whether
        # the command asked the car to stop.
        self._stopped_on_command = False
        if phase == PHASE_PREPARE:
            self.car.coast_to_stop(s.dt)
        elif phase == PHASE_PAUSE:
            self.car.state[3:] = 0.0
        elif drive is None:
            self.car.drive(steering_deg, speed, s.dt)
        elif drive[1] > 0.0:
            self.car.drive(drive[0], drive[1], s.dt)
        else:
            self.car.brake(drive[0], s.dt)
            self._stopped_on_command = True
        self.objects.advance(s.dt)
        self.sim_time += s.dt
        self.prev_progress_for_step = self.prev_progress
        self.prev_progress = progress

    def _agent_is_at_fault(self, index: int, agent_arc: float) -> bool:
        """A box always crashes the agent; a bot car only when the agent hits it from behind
        (docs/deepracer-semantics.md#bot-cars).
        """
        if not self.objects.is_bot(index):
            return True
        snapshot = self.builder.object_geometry(self.objects.snapshot())
        length = self.track.length
        ahead = (snapshot.distance[index] - agent_arc + length / 2.0) % length - length / 2.0
        return ahead > 0.0

    def _euclidean_closest_waypoint(self, params: dict) -> int:
        prev, nxt = params["closest_waypoints"]
        wp = params["waypoints"]
        x, y = params["x"], params["y"]
        d_prev = (wp[prev][0] - x) ** 2 + (wp[prev][1] - y) ** 2
        d_next = (wp[nxt][0] - x) ** 2 + (wp[nxt][1] - y) ** 2
        return prev if d_prev <= d_next else nxt

    # ------------------------------------------------------------------ step, second half
    def finish_step(self, timer: RewardTimer | None = None) -> StepOutcome:
        """Call the reward function and apply the episode rules; returns the step's outcome.

        `timer`: an entered RewardTimer shared by a batch of cars (the vectorised
        environment); without it the call gets its own.
        """
        outcome = self._pending
        if outcome is None:
            raise RuntimeError("finish_step() called without begin_step()")
        self._pending = None
        s = self.settings
        params = outcome.params
        status = outcome.status
        private = outcome.info
        reward = 0.0
        terminated = False
        phase = self.phase
        if phase == PHASE_PREPARE:
            self.phase = PHASE_RUN
        elif phase == PHASE_PAUSE:
            self.pause_remaining -= s.dt
            if self.pause_remaining <= 1e-9:
                self.pause_remaining = 0.0
                self.phase = PHASE_RUN
                self._clear_rule_counters()
        else:
            function = self.reward_function
            # The user's function gets its own copy (docs/deepracer-semantics.md#reward-function-contract); our default
            # reads without writing.
            given = params if function is centre_line_reward else copy_params(params)
            if timer is None:
                reward = call_reward(function, given, int(self.steps), s.reward_time_limit_s)
            else:
                reward = timer.call(function, given, int(self.steps))
            if status == CRASHED:
                self.obstacle_crash_counter += 1
            if status == LAP_COMPLETE:
                self.lap_count += 1
                self.lap_times.append(private["_lap_time"])
                if s.continuous_laps and self.lap_count < s.continuous_laps:
                    self.lap_start_time = private["_sim_time"]
                    self.prev_progress = 0.0
                    self._clear_rule_counters()
                else:
                    terminated = True
                    self.prev_progress = 0.0
            elif status in (CRASHED, OFF_TRACK, IMMOBILIZED, REVERSED):
                if self.reset_count < s.number_of_resets:
                    self.reset_count += 1
                    self._pause_after(status, private)
                else:
                    terminated = True
        truncated = not terminated and self.steps >= s.max_steps
        self.done = terminated or truncated
        if s.evaluation:
            trace_episode = self._laps_before_episode + (self.lap_count if s.continuous_laps else 0)
        else:
            trace_episode = self.episode
        outcome.reward = reward
        outcome.terminated = terminated
        outcome.truncated = truncated
        outcome.info = {
            "params": params,
            "episode_status": status,
            "episode": self.episode,
            "trace_episode": trace_episode,
            "steps": self.steps,
            "sim_time": private["_sim_time"],
            "lap_time": private["_lap_time"],
            "lap_count": self.lap_count,
            "pause_duration": self.pause_remaining,
            "obstacle_crash_counter": self.obstacle_crash_counter,
            "reset_count": self.reset_count,
            "action_index": private["action_index"],
            "steering_angle": params["steering_angle"],
            "speed": params["speed"],
            "progress": params["progress"],
            "closest_waypoint": private["_closest_waypoint"],
            "start_ndist": self.start_ndist,
        }
        return outcome

    def _pause_after(self, status: str, private: dict) -> None:
        """Evaluation reset after a failure
        (docs/deepracer-semantics.md#resets-after-a-failure): teleport if needed, then hold for the penalty.
        """
        s = self.settings
        track = self.track
        x, y, yaw = private["_pose_before"]
        if status == CRASHED:
            penalty = s.collision_penalty
            index = private["_collided"]
            if index >= 0 and not self.objects.is_bot(index):
                obstacle = self.objects.obstacle(index)
                arc = obstacle["arc"] - RESET_BEHIND_DISTANCE
                self.car.place(*track.lane_point(arc, -obstacle["lane"]))
                self.prev_progress = self._progress_at_arc(arc)
            else:
                self.car.place(x, y, yaw)  # behind a bot car: pause where it is
        else:
            if status == OFF_TRACK:
                penalty = s.off_track_penalty
            elif status == REVERSED:
                penalty = s.off_track_penalty if s.reverse_penalty is None else s.reverse_penalty
            else:
                penalty = s.immobilized_penalty
            arc = (self.start_ndist * track.length + self.prev_progress_for_step * track.length / 100.0)
            if track.is_loop:
                arc %= track.length
            else:
                arc = min(max(arc, 0.0), track.length)
            candidates = [track.lane_point(arc, lane) for lane in (INNER, OUTER)]
            nearest = min(candidates, key=lambda p: (p[0] - x) ** 2 + (p[1] - y) ** 2)
            self.car.place(*nearest)
            self.prev_progress = self.prev_progress_for_step
        self.pause_remaining += penalty
        self.phase = PHASE_PAUSE
        self._clear_rule_counters()
        self._last_base = (self.car.state[0], self.car.state[1])

    def _progress_at_arc(self, arc: float) -> float:
        length = self.track.length
        return compute_progress((arc % length) / length, self.start_ndist, None)

    # ------------------------------------------------------------------ convenience
    def step(self, steering_deg: float, speed: float, action_index: int = -1,
             drive: tuple[float, float] | None = None) -> StepOutcome:
        self.begin_step(steering_deg, speed, action_index, drive)
        return self.finish_step()
