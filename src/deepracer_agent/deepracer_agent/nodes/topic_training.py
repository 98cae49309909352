"""Training over topics: `deepracer train`'s Trainer, with its simulators replaced by sim_node.

The Trainer (deepracer_agent.training.trainer) collects and evaluates episodes on an environment
group (deepracer_agent.env_group: reset_cars, step_cars), updates with PPO and writes the model
folder. `TopicEnvGroup` is that group for one simulator on the other side of the ROS graph:

- step_cars([0], [action]) publishes the AgentAction answering the current SimStep and blocks
  until sim_node answers with the next SimStep; the reward comes from the user's reward function
  on the params in it (deepracer_sim.race.reward_function.call_reward, the simulator's own rules:
  prepare and pause steps earn 0 without a call), exactly as the embedded simulator computes it;
- reset_cars([0]) takes the first SimStep of the next episode (sim_node starts one itself after
  an episode ends) or asks for one at a given start through /deepracer/reset_episode.

An episode sim_node ends by a rule is terminated; one it ends without a rule (its step limit), or
one cut short by a reset from elsewhere, is truncated, and PPO bootstraps it from the state it was
cut off in. The Trainer takes the group through its env_group_factory. Everything else (the PPO
update, checkpoints, metrics, sim-trace, the folder layout) is the Trainer's own code, so a model
trained over topics is the same kind of folder as `deepracer train` writes. The Trainer runs in
a worker thread; the node's executor keeps delivering messages to it.
"""
from __future__ import annotations

import collections
import threading
import time
from typing import Callable, Sequence

import numpy as np

from deepracer_agent.policy.actions import command, env_action
from deepracer_agent.nodes.observations import ObservationBuilder
from deepracer_common.model_metadata import ModelMetadata
from deepracer_common.race import CRASHED, IMMOBILIZED, LAP_COMPLETE, OFF_TRACK, PAUSE, PREPARE, REVERSED
from deepracer_common.ros.messages import MessageError, msg_to_params
from deepracer_interfaces.msg import AgentAction, SimStep
from deepracer_sim.race.reward_function import call_reward
from deepracer_sim.sensors.suite import observation_space

# The statuses with which a rule ends an episode; sim_node ending one with any other was its step limit.
RULE_ENDINGS = (LAP_COMPLETE, OFF_TRACK, CRASHED, IMMOBILIZED, REVERSED)


class TopicLinkClosed(RuntimeError):
    """The node is shutting down (or the simulator went silent) while training waited for it."""


class TopicLink:
    """What the training thread shares with the node: incoming SimSteps, the track, the outgoing actions."""

    def __init__(self, metadata: ModelMetadata, publish_action: Callable[[AgentAction], None],
                 reset_episode: Callable[[float], int], set_track: Callable[[str, bool], None],
                 timeout_s: float, log: Callable[[str], None]):
        self.metadata = metadata
        self.publish_action = publish_action
        self.reset_episode = reset_episode
        self.set_track = set_track
        self.timeout_s = timeout_s
        self.log = log
        self.track = None  # the latest TrackInfo
        self._steps: collections.deque[SimStep] = collections.deque(maxlen=64)
        self._condition = threading.Condition()
        self._closed = False
        self.consumed = 0  # highest SimStep.step taken by the trainer

    # Called from the node's executor thread.
    def deliver_step(self, msg: SimStep) -> None:
        with self._condition:
            self._steps.append(msg)
            self._condition.notify_all()

    def deliver_track(self, msg) -> None:
        with self._condition:
            self.track = msg
            self._condition.notify_all()

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    # Called from the training thread.
    def wait_for(self, accept: Callable[[SimStep], bool], what: str) -> SimStep:
        """The first not-yet-consumed SimStep `accept` takes; older ones are dropped."""
        deadline = time.monotonic() + self.timeout_s
        with self._condition:
            while True:
                if self._closed:
                    raise TopicLinkClosed("the node is shutting down")
                while self._steps:
                    msg = self._steps.popleft()
                    if msg.step <= self.consumed:
                        continue  # a resend of a step already taken
                    if accept(msg):
                        self.consumed = msg.step
                        return msg
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TopicLinkClosed(
                        f"no answer from sim_node for {self.timeout_s:g} s while waiting for {what} "
                        "(is sim_node running, in lockstep mode?)")
                self._condition.wait(min(remaining, 0.5))

    def wait_for_track(self):
        deadline = time.monotonic() + self.timeout_s
        with self._condition:
            while self.track is None:
                if self._closed or time.monotonic() > deadline:
                    raise TopicLinkClosed("no track from sim_node on /deepracer/track")
                self._condition.wait(0.5)
            return self.track


class TopicEnvGroup:
    """One sim_node as the Trainer's environment group (num_envs is always 1)."""

    num_envs = 1

    def __init__(self, link: TopicLink, kwargs: dict):
        self.link = link
        self.reward_function = kwargs["reward_function"]
        self.time_limit_s = kwargs.get("reward_time_limit_s")
        self.evaluation = bool(kwargs.get("evaluation"))
        metadata = link.metadata
        self.builder = ObservationBuilder(metadata)
        self.space = metadata.action_space
        self.single_observation_space = observation_space(metadata.camera_sensor, metadata.lidar_sensor,
                                                          kwargs.get("lidar_config") or metadata.lidar_config)
        self.current: SimStep | None = None
        self.observation: dict | None = None  # of the current SimStep
        self.next_first: SimStep | None = None
        self._track_checked = False
        self._wanted_track = (kwargs.get("track"), bool(kwargs.get("reverse", False)))

    def _check_track(self) -> None:
        """Drive the track the training configuration names (sim_node may have started on another)."""
        if self._track_checked:
            return
        self._track_checked = True
        name, reverse = self._wanted_track
        track = self.link.wait_for_track()
        if name and (track.name != str(name) or track.is_reversed != reverse):
            self.link.log(f"switching sim_node to the configuration's track {name} (reverse={reverse})")
            self.link.set_track(str(name), reverse)
            self.link.track = None
            self.link.wait_for_track()

    def _waypoints(self) -> list[tuple[float, float]]:
        track = self.link.track
        return [(float(p.x), float(p.y)) for p in track.waypoints]

    def _observe(self, msg: SimStep) -> dict:
        try:
            return self.builder.build(msg.images, msg.lidar)
        except MessageError as error:
            raise TopicLinkClosed(f"SimStep {msg.step} does not fit the model: {error}") from None

    @staticmethod
    def _check_rows(rows: Sequence[int]) -> None:
        if list(rows) != [0]:
            raise ValueError(f"training over topics drives one car (row 0), got rows {list(rows)}")

    @staticmethod
    def _batched(observation: dict) -> dict:
        return {key: np.asarray(value)[None] for key, value in observation.items()}

    def reset_cars(self, rows: Sequence[int], start_ndist=None, seeds=None) -> tuple[dict, list[dict]]:
        self._check_rows(rows)
        if seeds is not None and any(seed is not None for seed in seeds):
            raise ValueError("sim_node's episodes cannot be seeded from the agent")
        if start_ndist is not None and not isinstance(start_ndist, (int, float)):
            (start_ndist,) = start_ndist
        self._check_track()
        if start_ndist is None and self.next_first is not None:
            msg = self.next_first
        elif start_ndist is None:
            # sim_node starts the next episode by itself once one ends (round robin, as in training).
            msg = self.link.wait_for(lambda m: m.status.steps == 0 and not m.status.done, "a new episode")
        else:
            first = self.link.reset_episode(float(start_ndist) % 1.0)
            msg = self.link.wait_for(lambda m: m.step >= first, f"the episode started at {start_ndist:.3f}")
        self.next_first = None
        self.current = msg
        self.observation = self._observe(msg)
        info = {"episode": msg.status.episode, "episode_status": msg.status.status, "progress": msg.status.progress,
                "sim_time": float(msg.params.sim_time)}
        return self._batched(self.observation), [info]

    def step_cars(self, rows: Sequence[int], actions) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray, list[dict]]:
        self._check_rows(rows)
        current = self.current
        if current is None:
            raise RuntimeError("step_cars() before reset_cars()")
        (action,) = actions
        chosen = env_action(action, self.space.type)
        msg = AgentAction()
        msg.header.stamp = current.header.stamp
        msg.step = current.step
        if self.space.type == "discrete":
            msg.action_index = chosen
        else:
            msg.action_index = -1
            msg.probabilities = [float(v) for v in chosen]
        msg.steering_angle, msg.speed = command(chosen, self.space)
        self.link.publish_action(msg)
        answer = self.link.wait_for(lambda m: m.step > current.step, f"the answer to SimStep {current.step}")
        if answer.status.steps == 0:
            # Someone reset the episode (a service call, a new track) before it ended: it is cut here, in the
            # state the unanswered action was chosen in.
            self.link.log(f"episode {current.status.episode} was cut short by a reset; counting it as ended")
            self.next_first = answer  # the next reset_cars() starts from it
            info = self._info(current, msg_to_params(current.params, self._waypoints()))
            return self._step_result(self.observation, 0.0, False, True, info)
        params = msg_to_params(answer.params, self._waypoints())
        status = answer.status.status
        if status in (PREPARE, PAUSE):
            reward = 0.0
        else:
            reward = call_reward(self.reward_function, params, int(answer.status.steps), self.time_limit_s)
        self.current = answer
        done = bool(answer.status.done)
        terminated = done and status in RULE_ENDINGS
        if not done or not terminated:
            # The next state, or the state a truncated episode was cut off in.
            self.observation = self._observe(answer)
        return self._step_result(self.observation, float(reward), terminated, done and not terminated,
                                 self._info(answer, params))

    def _step_result(self, observation: dict, reward: float, terminated: bool, truncated: bool, info: dict):
        return (self._batched(observation), np.array([reward]), np.array([terminated]), np.array([truncated]), [info])

    @staticmethod
    def _info(msg: SimStep, params: dict) -> dict:
        s = msg.status
        return {
            "params": params,
            "episode_status": s.status,
            "episode": s.episode,
            "steps": float(s.steps),
            "sim_time": float(params["sim_time"]),
            "lap_time": float(s.lap_time),
            "progress": float(s.progress),
            "pause_duration": float(s.pause_duration),
            "obstacle_crash_counter": int(s.obstacle_crash_counter),
            "reset_count": int(s.reset_count),
            "steering_angle": params["steering_angle"],
            "speed": params["speed"],
        }

    def close(self) -> None:
        pass
