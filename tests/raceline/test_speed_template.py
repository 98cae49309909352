"""The speed_racing_line reward template: it validates, rewards the line at its speed, and trains."""
import json
import math

import numpy as np
import pytest

from deepracer_agent.reward_files import list_templates, load_reward, validate_reward_file
from deepracer_sim.race.params import reward_params
from deepracer_sim.raceline import racing_line_for_params
from deepracer_sim.tracks import load_track


def test_template_is_listed_as_the_speed_template_and_validates():
    assert list_templates()["speed_racing_line"].startswith("Speed template:")
    report = validate_reward_file("template:speed_racing_line")
    assert report.ok, report.problems
    assert report.samples == 41 and max(report.rewards) > 1.0


def test_template_validates_on_an_aws_route(shared_tracks):
    report = validate_reward_file("template:speed_racing_line", track=str(shared_tracks / "reinvent_base.npy"))
    assert report.ok, report.problems


def test_template_pays_for_the_line_and_its_speed():
    reward = load_reward("template:speed_racing_line")
    track = load_track("crescent_loop")

    def params_at(arc, offset=0.0, speed=None, **extra):
        line = racing_line_for_params(reward_params(track, 0.0, 0.0, 0.0))
        x, y = line.point_at(arc)
        ahead = line.point_at(arc + 0.05)
        yaw = math.atan2(ahead[1] - y, ahead[0] - x)
        # reward_params takes base_link; the params' x, y are 0.14 m ahead of it.
        base = np.array([x, y]) - 0.14 * np.array([math.cos(yaw), math.sin(yaw)])
        base += offset * np.array([-math.sin(yaw), math.cos(yaw)])
        given = reward_params(track, base[0], base[1], math.degrees(yaw),
                              speed=line.speed_at(arc) if speed is None else speed, **extra)
        return given, line

    on_line, line = params_at(6.0)
    best = reward(on_line)
    assert best == pytest.approx(3.0, abs=0.1)
    assert reward(params_at(6.0, offset=0.12)[0]) < best - 0.5
    assert reward(params_at(6.0, speed=line.speed_at(6.0) - 1.0)[0]) < best - 1.0
    off_track = params_at(6.0, offset=0.6)[0]
    assert off_track["is_offtrack"] and reward(off_track) == pytest.approx(1e-3)
    # A lap as quick as the line's estimate earns the full bonus, a slower one less.
    quick = dict(on_line, progress=100.0, steps=line.standing_lap_time * 15)
    slow = dict(on_line, progress=100.0, steps=line.standing_lap_time * 30)
    assert reward(quick) == pytest.approx(best + 100.0, abs=0.1)
    assert reward(slow) == pytest.approx(best + 50.0, abs=0.1)


@pytest.mark.slow
def test_training_runs_with_the_template_and_the_suggested_actions(tmp_path, capsys):
    from deepracer_bringup.cli import main
    from deepracer_agent.training.config import TrainingConfig
    from deepracer_agent.model.folder import ModelFolder
    from deepracer_agent.training.trainer import Trainer

    config_path = tmp_path / "speed.json"
    assert main(["raceline", "crescent_loop", "--no-oracle", "--config-out", str(config_path)]) == 0
    config = TrainingConfig.load(config_path)
    data = config.to_dict()
    data.update(
        model="speed-line",
        hyperparameters={"num_episodes_between_training": 2, "num_epochs": 1, "batch_size": 32},
        stop={"max_iterations": 1},
        training={"num_envs": 2, "eval_episodes": 1, "seed": 0, "torch_threads": 1, "env_options": {"max_steps": 60}},
    )
    summary = Trainer(TrainingConfig.from_dict(data), ModelFolder(tmp_path / "speed-line"), show_progress=False,
                      echo=lambda text: None).run()
    assert summary.iterations == 1
    metadata = json.loads((tmp_path / "speed-line" / "model" / "model_metadata.json").read_text())
    trained = [(a["steering_angle"], a["speed"]) for a in metadata["action_space"]]
    assert trained == [(a["steering_angle"], a["speed"]) for a in json.loads(config_path.read_text())["vehicle"]["action_space"]]
