"""PPO arithmetic on cases small enough to check by hand."""
import math

import pytest
import torch

from deepracer_agent.rl import ppo
from deepracer_agent.rl.networks import ActorCritic


def test_gae_single_episode_matches_hand_computation():
    # gamma 0.9, lambda 0.95, V = 0.5 everywhere, the episode ends at t = 2 (V after it is 0).
    # t=2: delta = 1 - 0.5 = 0.5                         A = 0.5
    # t=1: delta = 1 + 0.9*0.5 - 0.5 = 0.95              A = 0.95 + 0.855*0.5 = 1.3775
    # t=0: delta = 0.95                                  A = 0.95 + 0.855*1.3775 = 2.1277625
    advantages, returns = ppo.compute_gae([1.0, 1.0, 1.0], [0.5, 0.5, 0.5], [False, False, True], gamma=0.9, lam=0.95)
    assert advantages.tolist() == pytest.approx([2.1277625, 1.3775, 0.5], abs=1e-6)
    assert returns.tolist() == pytest.approx([2.6277625, 1.8775, 1.0], abs=1e-6)


def test_gae_does_not_leak_across_episode_boundaries():
    # With gamma = lambda = 1 and V = 0 the advantage is the reward-to-go within the episode only.
    advantages, returns = ppo.compute_gae([1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [False, True, True], gamma=1.0, lam=1.0)
    assert advantages.tolist() == [3.0, 2.0, 3.0]
    assert returns.tolist() == [3.0, 2.0, 3.0]


def test_gae_bootstraps_zero_after_terminal_even_with_large_values():
    advantages, _ = ppo.compute_gae([0.0], [10.0], [True], gamma=0.99, lam=0.95)
    assert advantages.tolist() == [-10.0]


def test_gae_rejects_an_unfinished_episode_and_mismatched_lengths():
    with pytest.raises(ValueError, match="complete episode"):
        ppo.compute_gae([1.0, 1.0], [0.0, 0.0], [False, False], gamma=0.9)
    with pytest.raises(ValueError, match="equal length"):
        ppo.compute_gae([1.0, 1.0], [0.0], [False, True], gamma=0.9)


def test_standardize_uses_population_std():
    out = ppo.standardize(torch.tensor([1.0, 2.0, 3.0]))
    expected = 1.0 / math.sqrt(2.0 / 3.0)
    assert out.tolist() == pytest.approx([-expected, 0.0, expected], abs=1e-6)
    assert ppo.standardize(torch.tensor([4.0])).tolist() == [0.0]


@pytest.mark.parametrize(
    "new_p, old_p, advantage, expected_loss, clipped",
    [
        (0.75, 0.5, 2.0, -2.4, 1.0),  # ratio 1.5, positive A: the clip at 1.2 binds
        (0.75, 0.5, -2.0, 3.0, 1.0),  # ratio 1.5, negative A: the unclipped (worse) term binds
        (0.25, 0.5, 1.0, -0.5, 1.0),  # ratio 0.5, positive A: unclipped binds
        (0.25, 0.5, -1.0, 0.8, 1.0),  # ratio 0.5, negative A: clip at 0.8 binds
        (0.55, 0.5, 1.0, -1.1, 0.0),  # ratio 1.1 is inside the clip range
    ],
)
def test_clipped_surrogate_by_hand(new_p, old_p, advantage, expected_loss, clipped):
    loss, fraction = ppo.clipped_surrogate_loss(
        torch.log(torch.tensor([new_p])), torch.log(torch.tensor([old_p])), torch.tensor([advantage]), 0.2
    )
    assert float(loss) == pytest.approx(expected_loss, abs=1e-6)
    assert float(fraction) == clipped


def test_value_losses_by_hand():
    predicted = torch.tensor([0.0, 0.0])
    targets = torch.tensor([0.5, 3.0])
    # Huber (delta 1): 0.5*0.5^2 = 0.125 and 3 - 0.5 = 2.5 → mean 1.3125; MSE: (0.25 + 9) / 2.
    assert float(ppo.value_loss(predicted, targets, "huber")) == pytest.approx(1.3125)
    assert float(ppo.value_loss(predicted, targets, "mean squared error")) == pytest.approx(4.625)
    with pytest.raises(ValueError, match="loss_type"):
        ppo.value_loss(predicted, targets, "l1")


def test_effective_batch_size_follows_the_simulator_rule():
    assert ppo.effective_batch_size(64, 1000) == 64
    assert ppo.effective_batch_size(64, 64) == 64
    assert ppo.effective_batch_size(64, 40) == 32
    assert ppo.effective_batch_size(64, 5) == 4


def _vector_model(actions=3, kind="discrete"):
    torch.manual_seed(0)
    return ActorCritic({"SECTOR_LIDAR": (8,)}, "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW", kind, actions)


def test_uniform_policy_entropy_and_log_prob():
    model = _vector_model(actions=15)
    with torch.no_grad():
        model.policy.head.weight.zero_()
    observations = {"SECTOR_LIDAR": torch.zeros(2, 8)}
    log_prob, entropy = model.log_prob_entropy(observations, torch.tensor([0, 14]))
    assert log_prob.tolist() == pytest.approx([-math.log(15)] * 2, abs=1e-6)
    assert entropy.tolist() == pytest.approx([math.log(15)] * 2, abs=1e-6)


def test_continuous_log_prob_sums_both_dimensions_with_unit_std_at_start():
    model = _vector_model(actions=2, kind="continuous")
    assert model.policy.log_std.tolist() == [0.0, 0.0]
    observations = {"SECTOR_LIDAR": torch.zeros(1, 8)}
    with torch.no_grad():
        mean = model.policy(observations)
    with torch.no_grad():
        log_prob, entropy = model.log_prob_entropy(observations, mean)
    # At the mean of N(mu, 1) each dimension has log-density -0.5*log(2*pi).
    assert float(log_prob) == pytest.approx(-math.log(2 * math.pi), abs=1e-5)
    assert float(entropy) == pytest.approx(1.0 + math.log(2 * math.pi), abs=1e-5)


def test_log_std_is_clipped_to_the_simulator_range():
    model = _vector_model(actions=2, kind="continuous")
    with torch.no_grad():
        model.policy.log_std.fill_(10.0)
    dist = model.policy.distribution({"SECTOR_LIDAR": torch.zeros(1, 8)})
    assert dist.stddev[0].tolist() == pytest.approx([math.exp(3.0)] * 2, rel=1e-5)


def test_update_moves_probability_towards_the_advantaged_action():
    # One state, three actions; action 2 earns 1, the others 0. After one PPO phase pi(2|s) must rise.
    model = _vector_model(actions=3)
    optimizer = ppo.make_optimizer(model, lr=1e-3)
    generator = torch.Generator().manual_seed(0)
    actions = torch.tensor([0, 1, 2] * 20)
    state = {"SECTOR_LIDAR": torch.ones(1, 8)}
    observations = {"SECTOR_LIDAR": torch.ones(len(actions), 8)}
    with torch.no_grad():
        log_probs, _ = model.log_prob_entropy(observations, actions)
        before = model.policy(state)[0, 2].item()
    rollout = ppo.Rollout(
        observations=observations,
        actions=actions,
        log_probs=log_probs,
        rewards=(actions == 2).float(),
        dones=torch.ones(len(actions), dtype=torch.bool),  # one-step episodes
    )
    stats = ppo.ppo_update(
        model, optimizer, rollout, gamma=0.99, num_epochs=4, batch_size=16, beta_entropy=0.0, loss_type="huber",
        generator=generator,
    )
    with torch.no_grad():
        after = model.policy(state)[0, 2].item()
    assert after > before + 0.05
    # 60 samples in batches of 16: 3 full minibatches per epoch, the remainder is dropped.
    assert stats["updates"] == 12
    assert stats["samples"] == 60
    assert 0.0 <= stats["clip_fraction"] <= 1.0


def test_update_caps_steps_per_iteration():
    model = _vector_model(actions=3)
    optimizer = ppo.make_optimizer(model, lr=1e-4)
    actions = torch.tensor([0, 1, 2] * 10)
    observations = {"SECTOR_LIDAR": torch.rand(len(actions), 8)}
    with torch.no_grad():
        log_probs, _ = model.log_prob_entropy(observations, actions)
    rollout = ppo.Rollout(observations, actions, log_probs, torch.ones(len(actions)), torch.ones(len(actions), dtype=torch.bool))
    stats = ppo.ppo_update(
        model, optimizer, rollout, gamma=0.99, num_epochs=1, batch_size=8, beta_entropy=0.01,
        loss_type="mean squared error", max_steps=17, generator=torch.Generator().manual_seed(1),
    )
    assert stats["samples"] == 17
    assert stats["updates"] == 2
