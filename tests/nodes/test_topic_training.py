"""A short training over topics: sim_node (lock-step), agent_node (training), control_node, three processes."""
from __future__ import annotations

import csv
import json

import pytest
import yaml

from deepracer_common.action_space import discrete_from_garage
from deepracer_common.model_metadata import ModelMetadata

pytestmark = pytest.mark.timeout(240)

REWARD = '''
def reward_function(params):
    # Rewards the centre line; uses the waypoints the agent gets from TrackInfo.
    assert len(params["waypoints"]) > 10 and params["steps"] >= 2
    return float(1.0 - min(1.0, params["distance_from_center"] / (0.5 * params["track_width"])))
'''


def test_training_over_topics_completes_an_iteration_and_writes_a_checkpoint(probe, start_node, tmp_path):
    (tmp_path / "reward.py").write_text(REWARD)
    config = {
        "model": "topic-model",
        "track": "crescent_loop",
        "vehicle": {"sensors": ["FRONT_FACING_CAMERA"], "neural_network": "3-layer CNN",
                    "action_space": {"type": "discrete", "max_steering_angle": 30, "steering_granularity": 5,
                                     "max_speed": 1.0, "speed_granularity": 3}},
        "reward_function": "reward.py",
        "hyperparameters": {"batch_size": 16, "num_epochs": 1, "num_episodes_between_training": 2},
        "stop": {"max_iterations": 1},
        "training": {"num_envs": 1, "eval_episodes": 1, "seed": 3},
    }
    config_path = tmp_path / "training.json"
    config_path.write_text(json.dumps(config))
    model = tmp_path / "topic-model"
    params = yaml.safe_load(open(_repo_config("training.yaml")))
    params["agent_node"]["ros__parameters"].update(model_path=str(model), training_config=str(config_path))
    params_file = tmp_path / "training_params.yaml"
    params_file.write_text(yaml.safe_dump(params))

    sim = start_node("deepracer_sim.nodes.sim_node", params_files=[params_file])
    control = start_node("deepracer_control.nodes.control_node", params_files=[params_file])
    agent = start_node("deepracer_agent.nodes.agent_node", params_files=[params_file])
    processes = (sim, control)
    probe.spin_until(lambda: not agent.alive(), 200, "agent_node to finish training", processes)
    log = agent.log_text()
    assert agent.process.returncode == 0, log[-3000:]
    assert "training finished (1 iterations reached)" in log

    # The same folder as `deepracer train` writes.
    metadata = ModelMetadata.load(model / "model" / "model_metadata.json")
    assert metadata.action_space == discrete_from_garage(30.0, 5, 1.0, 3)
    checkpoints = sorted(p.name for p in (model / "model").glob("*_Step-*.ckpt"))
    assert checkpoints and checkpoints[-1].startswith("1_Step-")
    record = json.loads((model / "model" / "deepracer_checkpoints.json").read_text())
    assert record["last_checkpoint"]["name"] == checkpoints[-1]
    metrics = json.loads((model / "metrics" / "TrainingMetrics.json").read_text())
    assert [m["phase"] for m in metrics["metrics"]].count("training") == 2
    with open(model / "training-simtrace" / "0-iteration.csv") as stream:
        rows = list(csv.DictReader(stream))
    assert {r["episode"] for r in rows} == {"0", "1"}
    assert rows[0]["episode_status"] == "prepare" and float(rows[0]["reward"]) == 0.0
    # Rewards came from the user's function on the params sim_node published, with the exact commands.
    commands = {(s, v) for s, v in (discrete_from_garage(30.0, 5, 1.0, 3).command(i) for i in range(15))}
    for row in rows[1:]:
        assert (float(row["steer"]), float(row["throttle"])) in commands
    running = [float(r["reward"]) for r in rows if r["episode_status"] not in ("prepare", "pause")]
    assert running and all(0.0 <= r <= 1.0 for r in running) and max(running) > 0.0
    assert (model / "reward_function.py").read_text() == REWARD
    assert sim.alive() and control.alive()


def _repo_config(name: str):
    from pathlib import Path

    return Path(__file__).resolve().parents[2] / "config" / name
