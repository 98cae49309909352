"""Make the packages importable from a source checkout (the Makefile sets PYTHONPATH; this covers bare pytest)."""
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
for package in ("deepracer_control", "deepracer_sim", "deepracer_agent"):
    source = str(REPO / "src" / package)
    if source not in sys.path:
        sys.path.insert(0, source)

import json  # noqa: E402
import os  # noqa: E402

import pytest  # noqa: E402

PYTHONPATH = os.pathsep.join(str(REPO / "src" / p) for p in ("deepracer_control", "deepracer_sim", "deepracer_agent"))


def tiny_config(name: str = "tiny", **sections) -> dict:
    """A training configuration small enough for tests: 2 simulators, 4 episodes per iteration,
    episodes capped at 300 steps, one PPO epoch."""
    config = {
        "model": name,
        "track": "beginner_oval",
        "reward_function": "template:centerline",
        "hyperparameters": {"num_episodes_between_training": 4, "num_epochs": 1, "batch_size": 32,
                            "discount_factor": 0.99},
        "stop": {"max_iterations": 2},
        "training": {"num_envs": 2, "eval_episodes": 2, "seed": 0, "torch_threads": 2,
                     "env_options": {"max_steps": 300}},
    }
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return config


def train_tiny(root, name: str = "tiny", echo=None, **sections):
    from deepracer_agent.model.folder import ModelFolder
    from deepracer_agent.training.config import TrainingConfig
    from deepracer_agent.training.trainer import Trainer

    config = TrainingConfig.from_dict(tiny_config(name, **sections))
    folder = ModelFolder(root / name)
    summary = Trainer(config, folder, show_progress=False, echo=echo or (lambda text: None)).run()
    return folder, summary


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory):
    """A model trained for two tiny iterations, shared by the artifact, export and evaluation tests."""
    root = tmp_path_factory.mktemp("models")
    folder, summary = train_tiny(root)
    return folder, summary


def cli_env(models_root) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = PYTHONPATH + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["DEEPRACER_MODELS"] = str(models_root)
    return env


def write_json(path, data) -> None:
    path.write_text(json.dumps(data))
