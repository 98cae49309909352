"""Reward functions: templates, the Validate button, and failures during training."""
import hashlib
import json
import shutil
import subprocess
import sys

import pytest
from conftest import cli_env, train_tiny

from deepracer_agent.reward_files import list_templates, validate_reward_file
from deepracer_agent.training.trainer import TrainingError

BAD_REWARDS = {
    "syntax": ("def reward_function(params)\n    return 1.0\n", r"syntax error"),
    "missing": ("def reward(params):\n    return 1.0\n", r"no function named reward_function"),
    "raises": ("def reward_function(params):\n    return params['no_such_key']\n", r"raised KeyError: 'no_such_key'"),
    "string": ("def reward_function(params):\n    return 'fast'\n", r"returned 'fast' \(str\), not a number"),
    "none": ("def reward_function(params):\n    pass\n", r"returned None, not a number"),
    "nan": ("def reward_function(params):\n    return float('nan')\n", r"returned nan"),
    "inf": ("def reward_function(params):\n    return float('inf')\n", r"returned inf"),
    "huge": ("def reward_function(params):\n    return 1e6\n", r"returned 1e\+06, outside ±100000"),
    "slow": ("import time\ndef reward_function(params):\n    time.sleep(0.5)\n    return 1.0\n", r"ran longer than 0.2 s|ran 0\.\d+ s \(limit 0.2 s\)"),
}


def test_templates_are_shipped_and_validate():
    templates = list_templates()
    assert {"centerline", "steering_penalty", "slow_speed_penalty"} <= set(templates)
    for name in templates:
        report = validate_reward_file(f"template:{name}")
        assert report.ok, report.problems
        assert report.samples == 41


def test_centerline_template_behaviour():
    from deepracer_agent.reward_files import load_reward

    centre = load_reward("template:centerline")
    steering = load_reward("template:steering_penalty")
    slow = load_reward("template:slow_speed_penalty")
    params = {"track_width": 1.0, "distance_from_center": 0.05, "steering_angle": 0.0, "speed": 1.0,
              "all_wheels_on_track": True}
    assert centre(params) == 1.0
    assert centre({**params, "distance_from_center": 0.2}) == 0.5
    assert centre({**params, "distance_from_center": 0.45}) == 0.1
    assert centre({**params, "distance_from_center": 0.6}) == pytest.approx(1e-3)
    assert steering({**params, "steering_angle": -20.0}) == pytest.approx(0.8)
    assert steering({**params, "steering_angle": 15.0}) == 1.0
    assert slow({**params, "speed": 0.67}) == 0.5
    assert slow(params) == 1.0
    assert slow({**params, "all_wheels_on_track": False}) == pytest.approx(1e-3)


@pytest.mark.parametrize("kind", sorted(BAD_REWARDS))
def test_validate_reports_each_bad_reward(tmp_path, kind):
    source, message = BAD_REWARDS[kind]
    path = tmp_path / f"{kind}.py"
    path.write_text(source)
    report = validate_reward_file(path, time_limit_s=0.2, max_problems=1)
    assert not report.ok
    assert __import__("re").search(message, report.problems[0]), report.problems[0]
    if kind not in ("syntax", "missing"):
        # The params that caused it are named: the step and the car's position among them.
        assert "at step 2 (0% round the lap, on the centre line)" in report.problems[0]
        assert "params: all_wheels_on_track=True" in report.problems[0]
        assert "waypoints='<" in report.problems[0]


def test_validate_command_exit_codes(tmp_path):
    good = tmp_path / "good.py"
    good.write_text("def reward_function(params):\n    return 1.0 if params['all_wheels_on_track'] else 0.001\n")
    bad = tmp_path / "bad.py"
    bad.write_text(BAD_REWARDS["nan"][0])
    command = [sys.executable, "-m", "deepracer_bringup", "validate"]
    ok = subprocess.run(command + [str(good)], capture_output=True, text=True, env=cli_env(tmp_path), timeout=120)
    assert ok.returncode == 0 and ok.stdout.startswith("OK: ")
    failed = subprocess.run(command + [str(bad), "--json"], capture_output=True, text=True, env=cli_env(tmp_path), timeout=120)
    assert failed.returncode == 1
    report = json.loads(failed.stdout)
    assert report["ok"] is False and "returned nan" in report["problems"][0]


# A reward that behaves while a flag file is absent, then raises. The test creates the flag once the
# first iteration is committed, so the failure hits iteration 2 of a fresh training.
FAILING_AFTER_FLAG = """
import os
FLAG = {flag!r}
def reward_function(params):
    if os.path.exists(FLAG):
        raise RuntimeError("boom")
    return 1.0
"""

# Failures met during training; the model's reward_function.py is swapped for these and training resumed.
FAILING_IN_TRAINING = {
    "raises": ("def reward_function(params):\n    return 1.0 / 0\n", "raised ZeroDivisionError: float division by zero"),
    "string": ("def reward_function(params):\n    return '1.0 please'\n", "returned '1.0 please' (str), not a number"),
    "none": ("def reward_function(params):\n    return None\n", "returned None, not a number"),
    "nan": ("import math\ndef reward_function(params):\n    return math.nan\n", "returned nan"),
    "inf": ("import math\ndef reward_function(params):\n    return -math.inf\n", "returned -inf"),
    "huge": ("def reward_function(params):\n    return 1e6\n", "returned 1e+06, outside ±100000"),
    "slow": ("import time\ndef reward_function(params):\n    time.sleep(0.5)\n    return 1.0\n", "ran longer than 0.2 s"),
}


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((folder / "model").iterdir())}


def test_fresh_training_stops_on_a_failing_reward_and_keeps_the_last_checkpoint(tmp_path):
    flag = tmp_path / "fail-now"
    reward = tmp_path / "reward.py"
    reward.write_text(FAILING_AFTER_FLAG.format(flag=str(flag)))
    seen = {}

    def after_iteration(line):
        seen["digests"] = _digests(tmp_path / "models" / "bad")
        flag.write_text("")

    (tmp_path / "models").mkdir()
    with pytest.raises(TrainingError) as failure:
        train_tiny(tmp_path / "models", name="bad", echo=after_iteration, reward_function=str(reward),
                   stop={"max_iterations": 3}, training={"eval_episodes": 0})
    message = str(failure.value)
    assert "raised RuntimeError: boom at step 2;" in message
    assert "params: all_wheels_on_track=" in message and "progress=" in message
    assert "The last good checkpoint (1_Step-" in message and "is intact" in message
    folder = tmp_path / "models" / "bad"
    # Nothing of the failed iteration was written: same files, same bytes.
    assert _digests(folder) == seen["digests"]
    assert sorted(p.name for p in (folder / "training-simtrace").iterdir()) == ["0-iteration.csv"]
    record = json.loads((folder / "model" / "deepracer_checkpoints.json").read_text())
    assert record["last_checkpoint"]["name"].startswith("1_Step-")
    from deepracer_agent.policy.runner import PolicyRunner

    PolicyRunner.from_model(folder, "last")  # still loads


@pytest.mark.parametrize("kind", sorted(FAILING_IN_TRAINING))
def test_training_reports_each_failing_reward_with_step_and_params(trained_model, tmp_path, kind):
    from deepracer_agent.model.folder import ModelFolder
    from deepracer_agent.training.config import TrainingConfig
    from deepracer_agent.training.trainer import Trainer

    source, message = FAILING_IN_TRAINING[kind]
    folder = ModelFolder(tmp_path / "copy")
    shutil.copytree(trained_model[0].path, folder.path)
    folder.reward_function_path.write_text(source)
    before = _digests(folder.path)
    config = TrainingConfig.from_model_folder(folder)
    config.stop.max_iterations = 3
    config.training.reward_time_limit_s = 0.2
    config.training.eval_episodes = 0
    with pytest.raises(TrainingError) as failure:
        Trainer(config, folder, resume=True, show_progress=False, echo=lambda text: None).run()
    text = str(failure.value)
    assert message in text
    assert "at step 2;" in text and "params: all_wheels_on_track=" in text
    assert "The last good checkpoint (2_Step-" in text
    assert _digests(folder.path) == before
