"""Garage vehicles: the workshop's action lists, sensors, networks and clear errors."""
import json

import pytest

from deepracer_agent.garage import GarageError, Vehicle, action_space_from_spec
from deepracer_agent.training.hyperparameters import HyperparameterError, Hyperparameters


def test_workshop_action_space_has_the_fifteen_listed_actions():
    space = action_space_from_spec(
        {"type": "discrete", "max_steering_angle": 30, "steering_granularity": 5, "max_speed": 1.0, "speed_granularity": 3}
    )
    pairs = [(a.steering_angle, a.speed) for a in space.actions]
    expected = [(steer, speed) for steer in (-30.0, -15.0, 0.0, 15.0, 30.0) for speed in (0.33, 0.67, 1.0)]
    assert pairs == expected


@pytest.mark.parametrize(
    "steering, granularity, angles",
    [(30, 3, [-30.0, 0.0, 30.0]), (30, 7, [-30.0, -20.0, -10.0, 0.0, 10.0, 20.0, 30.0]), (20, 5, [-20.0, -10.0, 0.0, 10.0, 20.0])],
)
def test_steering_granularities(steering, granularity, angles):
    space = action_space_from_spec({"max_steering_angle": steering, "steering_granularity": granularity, "max_speed": 2, "speed_granularity": 1})
    assert [a.steering_angle for a in space.actions] == angles
    assert {a.speed for a in space.actions} == {2.0}


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"max_steering_angle": 35}, "maximum steering angle"),
        ({"steering_granularity": 4}, "steering granularity"),
        ({"max_speed": 4.5}, "maximum speed"),
        ({"speed_granularity": 4}, "speed granularity"),
        ({"type": "continuous", "steering_angle": {"low": -40, "high": 30}, "speed": {"low": 0.5, "high": 1}}, "steering_angle.low"),
        ({"type": "continuous", "steering_angle": {"low": -30, "high": 30}, "speed": {"low": 1.0, "high": 0.5}}, "speed.high"),
        ({"type": "sideways"}, "discrete' or 'continuous"),
        ({"max_speeed": 1}, "unknown key"),
    ],
)
def test_out_of_range_values_are_named(spec, message):
    with pytest.raises(GarageError, match=message):
        action_space_from_spec(spec)


def test_continuous_ranges():
    space = action_space_from_spec({"type": "continuous", "steering_angle": {"low": -20, "high": 25}, "speed": {"low": 0.5, "high": 2.5}})
    assert space.command([-1, -1]) == (-20.0, 0.5)
    assert space.command([1, 1]) == (25.0, 2.5)


def test_vehicle_metadata_uses_the_console_schema():
    vehicle = Vehicle.from_dict(
        {"sensors": ["camera", "LIDAR"], "neural_network": "5-layer CNN",
         "action_space": {"max_steering_angle": 30, "steering_granularity": 3, "max_speed": 1, "speed_granularity": 1}}
    )
    data = json.loads(json.dumps(vehicle.metadata().to_dict()))
    assert data["sensor"] == ["FRONT_FACING_CAMERA", "LIDAR"]
    assert data["neural_network"] == "DEEP_CONVOLUTIONAL_NETWORK"
    assert data["action_space_type"] == "discrete"
    assert data["training_algorithm"] == "clipped_ppo"
    assert data["action_space"][0] == {"steering_angle": -30.0, "speed": 1.0, "index": 0}


@pytest.mark.parametrize(
    "vehicle, message",
    [
        ({"sensors": ["FRONT_FACING_CAMERA", "STEREO_CAMERAS"]}, "exactly one camera"),
        ({"sensors": ["LIDAR"]}, "exactly one camera"),
        ({"sensors": ["FRONT_FACING_CAMERA", "LIDAR", "SECTOR_LIDAR"]}, "at most one LIDAR"),
        ({"sensors": ["RADAR"]}, "sensor 'RADAR' is not known"),
        ({"neural_network": "7-layer CNN"}, "3-layer CNN"),
        ({"training_algorithm": "sac", "action_space": {"type": "continuous"}}, "SAC is not implemented"),
        ({"wheels": 4}, "unknown key"),
    ],
)
def test_vehicle_errors(vehicle, message):
    with pytest.raises(GarageError, match=message):
        Vehicle.from_dict(vehicle)


def test_hyperparameter_defaults_are_the_console_ones():
    hp = Hyperparameters()
    assert (hp.batch_size, hp.num_epochs, hp.lr, hp.beta_entropy, hp.discount_factor, hp.loss_type,
            hp.num_episodes_between_training) == (64, 10, 0.0003, 0.01, 0.999, "huber", 20)
    assert sorted(hp.to_dict()) == sorted([
        "batch_size", "beta_entropy", "discount_factor", "e_greedy_value", "epsilon_steps", "exploration_type",
        "loss_type", "lr", "num_episodes_between_training", "num_epochs", "stack_size", "term_cond_avg_score",
        "term_cond_max_episodes", "sac_alpha"])


@pytest.mark.parametrize(
    "values, message",
    [({"batch_size": 0}, "batch_size"), ({"lr": -1}, "lr"), ({"discount_factor": 1.5}, "discount_factor"),
     ({"loss_type": "l1"}, "loss_type"), ({"num_epochs": 2.5}, "num_epochs"), ({"learning_rate": 1}, "unknown key")],
)
def test_hyperparameter_errors_name_the_key(values, message):
    with pytest.raises(HyperparameterError, match=message):
        Hyperparameters.from_dict(values)
