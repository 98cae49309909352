"""What the trainer sets up around an iteration: the random generators a resume restores, the threads torch
acts and learns with, and the configuration keys it accepts."""
import random

import pytest
import torch
from conftest import tiny_config, train_tiny

# A reward function that draws from Python's `random`, as a user's may: its stream is part of the run.
RANDOM_REWARD = '''
import random

import pytest


def reward_function(params):
    return 1.0 + 0.0 * random.random()
'''


def test_resume_restores_pythons_random_state(tmp_path):
    from deepracer_agent.model.folder import ModelFolder
    from deepracer_agent.training.config import TrainingConfig
    from deepracer_agent.training.trainer import Trainer


    reward = tmp_path / "random_reward.py"
    reward.write_text(RANDOM_REWARD)
    root = tmp_path / "models"
    sections = dict(reward_function=str(reward), stop={"max_iterations": 1},
                    hyperparameters={"num_episodes_between_training": 2}, training={"eval_episodes": 0})
    folder, _ = train_tiny(root, name="random", **sections)
    saved = torch.load(folder.model_dir / "training_state.pt", weights_only=True)["python_rng"]
    random.seed(0)
    assert list(random.getstate()[1]) != saved  # the reward's draws moved the state on

    # Resuming a run that is already at its stop condition restores, then stops at once.
    config = TrainingConfig.from_dict(tiny_config("random", **sections))
    summary = Trainer(config, ModelFolder(folder.path), resume=True, show_progress=False,
                      echo=lambda text: None).run()
    assert summary.stop_reason == "1 iterations reached"
    assert list(random.getstate()[1]) == saved


def test_acting_and_learning_each_set_their_threads(tmp_path, monkeypatch):
    from deepracer_agent.env_group import simulator_group
    from deepracer_agent.rl import ppo

    seen = {"acting": set(), "learning": set()}

    class WatchedGroup:
        """The simulators, noting the threads torch has whenever the trainer steps them."""

        def __init__(self, num_envs, kwargs):
            self.group = simulator_group(num_envs, kwargs)
            self.num_envs = self.group.num_envs
            self.single_observation_space = self.group.single_observation_space

        def reset_cars(self, *args, **kwargs):
            return self.group.reset_cars(*args, **kwargs)

        def step_cars(self, *args, **kwargs):
            seen["acting"].add(torch.get_num_threads())
            return self.group.step_cars(*args, **kwargs)

        def close(self):
            self.group.close()

    update = ppo.ppo_update

    def watched_update(*args, **kwargs):
        seen["learning"].add(torch.get_num_threads())
        torch.set_num_threads(3)  # whatever happens here, acting sets its own count again
        return update(*args, **kwargs)

    monkeypatch.setattr(ppo, "ppo_update", watched_update)
    before = torch.get_num_threads()
    try:
        from deepracer_agent.model.folder import ModelFolder
        from deepracer_agent.training.config import TrainingConfig
        from deepracer_agent.training.trainer import Trainer


        config = TrainingConfig.from_dict(tiny_config(
            "threads", stop={"max_iterations": 2}, hyperparameters={"num_episodes_between_training": 2},
            training={"torch_threads": 2, "eval_episodes": 1, "env_options": {"max_steps": 40}}))
        Trainer(config, ModelFolder(tmp_path / "threads"), show_progress=False, echo=lambda text: None,
                env_group_factory=WatchedGroup, acting_threads=1).run()
    finally:
        torch.set_num_threads(before)
    assert seen == {"acting": {1}, "learning": {2}}


def test_configurations_from_earlier_releases_still_load_without_the_retired_key():
    from deepracer_agent.training.config import ConfigError, TrainingConfig

    # training.vector_env (auto/sync/async) chose how the simulators ran; model folders trained before
    # it was retired carry it in training_config.json, and --resume and clone read that file.
    old = tiny_config("old", training={"vector_env": "sync"})
    config = TrainingConfig.from_dict(old)
    assert "vector_env" not in config.to_dict()["training"]
    assert config.training.num_envs == 2
    with pytest.raises(ConfigError, match=r"training: unknown key\(s\) \['vector_envs'\]"):
        TrainingConfig.from_dict(tiny_config("typo", training={"vector_envs": "sync"}))
