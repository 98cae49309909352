"""Episodes cut short (a step limit, a reset over topics) are truncated, not terminated: PPO bootstraps them
with the value of the state they were cut off in."""
import numpy as np
import pytest
import torch

from deepracer_agent.rl import ppo
from deepracer_agent.rl.networks import ActorCritic


def test_gae_bootstraps_a_truncated_episode_from_its_cut_off_state():
    # gamma 0.9, lambda 0.95, V = 0.5 everywhere. Episode 1 (t = 0..2) is truncated in a state worth 2.0;
    # episode 2 (t = 3) ends by a rule.
    # t=2: delta = 1 + 0.9*2.0 - 0.5 = 2.3                 A = 2.3
    # t=1: delta = 1 + 0.9*0.5 - 0.5 = 0.95                A = 0.95 + 0.855*2.3 = 2.9165
    # t=0: delta = 0.95                                    A = 0.95 + 0.855*2.9165 = 3.4436075
    # t=3: delta = 1 - 0.5 = 0.5 (nothing after a rule's end, nothing leaks from episode 1)
    advantages, returns = ppo.compute_gae(
        [1.0, 1.0, 1.0, 1.0], [0.5, 0.5, 0.5, 0.5], [False, False, True, True], gamma=0.9, lam=0.95,
        end_values=[0.0, 0.0, 2.0, 0.0])
    assert advantages.tolist() == pytest.approx([3.4436075, 2.9165, 2.3, 0.5], abs=1e-6)
    assert returns.tolist() == pytest.approx([3.9436075, 3.4165, 2.8, 1.0], abs=1e-6)


def _model():
    torch.manual_seed(0)
    return ActorCritic({"SECTOR_LIDAR": (8,)}, "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW", "discrete", 3).eval()


def test_ppo_takes_the_value_of_each_cut_off_state():
    model = _model()
    observations = {"SECTOR_LIDAR": torch.rand(5, 8)}
    cut = {"SECTOR_LIDAR": torch.rand(2, 8)}
    # Three episodes: t = 0..1 truncated, t = 2 ended by a rule, t = 3..4 truncated.
    rollout = ppo.Rollout(observations, torch.tensor([0, 1, 2, 0, 1]), torch.zeros(5), torch.ones(5),
                          dones=torch.tensor([False, True, True, False, True]),
                          truncated=torch.tensor([False, True, False, False, True]), cut_observations=cut)
    with torch.no_grad():
        expected = model.value(cut)
    end_values = ppo.bootstrap_values(model, rollout)
    assert end_values[[0, 2, 3]].tolist() == [0.0, 0.0, 0.0]
    assert end_values[[1, 4]].tolist() == pytest.approx(expected.tolist(), abs=1e-6)
    assert expected.abs().min() > 1e-4  # a value that makes a difference
    rollout.cut_observations = {"SECTOR_LIDAR": cut["SECTOR_LIDAR"][:1]}
    with pytest.raises(ValueError, match="2 truncated episode"):
        ppo.bootstrap_values(model, rollout)


def test_an_episode_at_the_step_limit_is_collected_as_truncated_with_the_state_it_ended_in():
    from deepracer_agent.env_group import simulator_group
    from deepracer_agent.policy.runner import PolicyRunner
    from deepracer_agent.training.collect import EpisodeCollector, build_rollout
    from deepracer_common.action_space import discrete_from_garage
    from deepracer_common.model_metadata import ModelMetadata
    from deepracer_sim.env import DeepRacerEnv

    space = discrete_from_garage(30, 5, 1.0, 3)
    kwargs = dict(track="crescent_loop", sensors=["FRONT_FACING_CAMERA"], action_space=space, max_steps=4, seed=11)
    metadata = ModelMetadata(action_space=space)
    torch.manual_seed(0)
    runner = PolicyRunner.from_network(ActorCritic.for_metadata(metadata).eval(), metadata)
    envs = simulator_group(2, kwargs)
    episodes = EpisodeCollector(envs, runner, round_robin_advance=0.05).collect(wanted=3, first_number=0)
    assert [e.number for e in episodes] == [0, 1, 2]
    assert all(e.truncated and e.steps == 4 for e in episodes)
    assert [e.status for e in episodes] == ["in_progress"] * 3
    # The cut-off state is the one after the last step: replay episode 0 (car 0, seed 11, start 0.0).
    replay = DeepRacerEnv(**kwargs)
    replay.reset(options={"start_ndist": 0.0})
    for action in episodes[0].actions:
        final, _, _, truncated, _ = replay.step(int(action))
    assert truncated
    np.testing.assert_array_equal(episodes[0].cut_observation["FRONT_FACING_CAMERA"], final["FRONT_FACING_CAMERA"])
    cut_states = [e.cut_observation["FRONT_FACING_CAMERA"] for e in episodes]

    rollout = build_rollout(episodes, runner.keys)
    assert rollout.dones.nonzero().squeeze(-1).tolist() == [3, 7, 11]
    assert rollout.truncated.nonzero().squeeze(-1).tolist() == [3, 7, 11]
    np.testing.assert_array_equal(rollout.cut_observations["FRONT_FACING_CAMERA"].numpy(), np.stack(cut_states))
    envs.close()
