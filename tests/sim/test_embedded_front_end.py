"""The embedded simulator as sim_node runs it (deepracer_sim.stepping.embedded), without ROS."""
from __future__ import annotations

import numpy as np
import pytest

from deepracer_common.race import workshop_action_space
from deepracer_sim.env import DeepRacerEnv
from deepracer_sim.stepping.commands import CommandSource
from deepracer_sim.stepping.embedded import EmbeddedSimulator


def test_reset_and_step_reports_carry_what_the_topics_publish():
    simulator = EmbeddedSimulator(DeepRacerEnv(sensors=["FRONT_FACING_CAMERA", "LIDAR"], seed=0))
    first = simulator.reset()
    assert first.params is None and first.status["status"] == "prepare" and not first.done
    assert first.status["steps"] == 0.0 and first.status["episode"] == 0
    assert [f.shape for f in first.frames] == [(120, 160)] and first.frames[0].dtype == np.uint8
    assert first.ranges.shape == (64,) and first.car_pose == simulator.env.sim.car.pose
    commands = CommandSource(workshop_action_space())
    commands.set_servo(0.0, 0.6)
    commands.set_action(7, [])
    report = simulator.step(commands.take_step_command())
    assert report.params["speed"] == workshop_action_space().command(7)[1]  # the action's exact command
    assert report.status["status"] == "prepare" and report.status["steps"] == 1.0
    report = simulator.step(commands.take_step_command())
    assert report.status["status"] == "in_progress"
    assert report.params["speed"] == pytest.approx(commands.servo_command()[1])  # no action: the servo's
    np.testing.assert_array_equal(report.ranges, simulator.env.lidar_ranges)
    assert report.car_state[3] > 0.0, "the servo drives the car"


def test_the_clock_never_goes_back_when_the_environment_is_rebuilt():
    first = EmbeddedSimulator(DeepRacerEnv(seed=0))
    first.reset()
    command = CommandSource(workshop_action_space()).take_step_command()
    for _ in range(30):
        first.step(command)
    assert first.sim_time == pytest.approx(2.0)
    second = EmbeddedSimulator(DeepRacerEnv(track="beginner_oval", seed=0), time_offset=first.sim_time)
    assert second.reset().sim_time == pytest.approx(2.0)
    assert second.step(command).sim_time == pytest.approx(2.0 + 1.0 / 15.0)


def test_stereo_gives_two_frames_and_a_camera_is_required():
    stereo = EmbeddedSimulator(DeepRacerEnv(sensors=["STEREO_CAMERAS"], seed=0))
    left, right = stereo.reset().frames
    assert left.shape == right.shape == (120, 160) and not np.array_equal(left, right)
    with pytest.raises(ValueError, match="needs a camera"):
        EmbeddedSimulator(DeepRacerEnv(sensors=["LIDAR"]))
