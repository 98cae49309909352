"""TopicEnvGroup, the trainer's environment group over sim_node, fed SimSteps by hand (no DDS): how it tells
an episode a rule ended from one cut short, and what it hands the trainer for each."""
from __future__ import annotations

import numpy as np
import pytest
from builtin_interfaces.msg import Time

from deepracer_agent.nodes.topic_training import TopicEnvGroup, TopicLink
from deepracer_common.action_space import discrete_from_garage
from deepracer_common.model_metadata import ModelMetadata
from deepracer_common.ros.messages import mono8_image, status_to_msg
from deepracer_interfaces.msg import SimStep, TrackInfo

ACTIONS = discrete_from_garage(30.0, 5, 1.0, 3)


class Rig:
    def __init__(self):
        self.actions = []
        self.resets = []
        self.link = TopicLink(ModelMetadata(action_space=ACTIONS), self.actions.append, self._reset,
                              lambda track, reverse: None, timeout_s=2.0, log=lambda text: None)
        track = TrackInfo(name="crescent_loop")
        self.link.deliver_track(track)
        self.group = TopicEnvGroup(self.link, {"reward_function": lambda params: 0.5, "track": "crescent_loop"})
        self.step_id = 0

    def _reset(self, start_ndist: float) -> int:
        """sim_node's reset_episode service: it starts the episode and publishes its first SimStep."""
        self.resets.append(start_ndist)
        return self.deliver(0, "prepare", shade=10).step

    def deliver(self, steps: float, status: str = "in_progress", done: bool = False, shade: int = 0) -> SimStep:
        self.step_id += 1
        msg = SimStep(step=self.step_id)
        msg.header.stamp = Time(sec=self.step_id)
        msg.images = [mono8_image(np.full((120, 160), shade, dtype=np.uint8), msg.header.stamp, "camera")]
        msg.params.sim_time = self.step_id / 15.0
        status_to_msg({"steps": steps, "status": status, "done": done}, msg.status)
        self.link.deliver_step(msg)
        return msg


def test_a_rule_ends_an_episode_and_a_step_limit_truncates_it():
    rig = Rig()
    observations, infos = rig.group.reset_cars([0], start_ndist=[0.25])
    assert rig.resets == [0.25] and infos[0]["episode_status"] == "prepare"
    assert observations["FRONT_FACING_CAMERA"].shape == (1, 120, 160, 1)

    rig.deliver(1, "in_progress", shade=20)
    observations, rewards, terminated, truncated, infos = rig.group.step_cars([0], [7])
    assert rig.actions[-1].action_index == 7 and (rig.actions[-1].steering_angle, rig.actions[-1].speed) == \
        pytest.approx(ACTIONS.command(7))
    assert rewards.tolist() == [0.5] and not terminated[0] and not truncated[0]
    assert int(observations["FRONT_FACING_CAMERA"][0, 0, 0, 0]) == 20

    rig.deliver(2, "off_track", done=True, shade=30)
    _, rewards, terminated, truncated, infos = rig.group.step_cars([0], [3])
    assert terminated.tolist() == [True] and truncated.tolist() == [False]
    assert infos[0]["episode_status"] == "off_track"

    # sim_node ends an episode in progress only at its step limit: truncated, with the state it ended in.
    rig.deliver(0, "prepare", shade=40)
    rig.group.reset_cars([0])
    rig.deliver(1, "in_progress", done=True, shade=50)
    observations, _, terminated, truncated, _ = rig.group.step_cars([0], [7])
    assert terminated.tolist() == [False] and truncated.tolist() == [True]
    assert int(observations["FRONT_FACING_CAMERA"][0, 0, 0, 0]) == 50


def test_an_episode_reset_from_elsewhere_is_truncated_in_the_state_it_was_cut_off_in():
    rig = Rig()
    rig.deliver(0, "prepare", shade=10)
    rig.group.reset_cars([0])
    rig.deliver(1, "in_progress", shade=20)
    rig.group.step_cars([0], [7])
    rig.deliver(0, "prepare", shade=99)  # someone reset the episode: the action for step 2 is never answered
    observations, rewards, terminated, truncated, infos = rig.group.step_cars([0], [7])
    assert rewards.tolist() == [0.0] and terminated.tolist() == [False] and truncated.tolist() == [True]
    assert int(observations["FRONT_FACING_CAMERA"][0, 0, 0, 0]) == 20
    # The next episode starts from the SimStep that cut this one short.
    observations, infos = rig.group.reset_cars([0])
    assert int(observations["FRONT_FACING_CAMERA"][0, 0, 0, 0]) == 99 and infos[0]["episode_status"] == "prepare"
    with pytest.raises(ValueError, match="one car"):
        rig.group.step_cars([1], [7])
    with pytest.raises(ValueError, match="cannot be seeded"):
        rig.group.reset_cars([0], seeds=[3])
