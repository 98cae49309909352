"""The shared control core: action spaces, model_metadata.json and the car's servo mapping."""
import json

import numpy as np
import pytest

from deepracer_common.action_space import (
    ActionSpaceError,
    ContinuousActionSpace,
    action_space_from_json,
    discrete_from_garage,
)
from deepracer_common.model_metadata import ModelMetadata, ModelMetadataError, validate_lidar_config
from deepracer_common.servo import servo_to_command
from deepracer_control.navigation import NavigationMapper


def test_workshop_action_space_has_fifteen_actions_in_console_order():
    space = discrete_from_garage(30, 5, 1.0, 3)
    assert space.n == 15
    assert [a.steering_angle for a in space.actions[::3]] == [-30, -15, 0, 15, 30]
    assert [a.speed for a in space.actions[:3]] == [0.33, 0.67, 1.0]
    assert space.command(np.int64(14)) == (30.0, 1.0)


@pytest.mark.parametrize(
    "args, message",
    [((31, 5, 1, 3), "maximum steering angle"), ((30, 4, 1, 3), "steering granularity"),
     ((30, 5, 4.5, 3), "maximum speed"), ((30, 5, 1, 4), "speed granularity")],
)
def test_garage_rejects_out_of_range_settings(args, message):
    with pytest.raises(ActionSpaceError, match=message):
        discrete_from_garage(*args)


@pytest.mark.parametrize("bad", [15, -1, 1.0, True, "3", None])
def test_discrete_command_rejects_what_is_not_an_index(bad):
    with pytest.raises(ActionSpaceError):
        discrete_from_garage(30, 5, 1, 3).command(bad)


def test_continuous_rescaling_and_nan():
    space = ContinuousActionSpace(-30, 30, 0.5, 2.0)
    assert space.command([-1, -1]) == (-30.0, 0.5)
    assert space.command([0.0, 1.0]) == (0.0, 2.0)
    assert space.command([5.0, -5.0]) == (30.0, 0.5)  # clipped into [-1, 1] first
    with pytest.raises(ActionSpaceError, match="finite"):
        space.command([float("nan"), 0.0])


@pytest.mark.parametrize(
    "value, message",
    [([{"steering_angle": 45, "speed": 1}], r"action_space\[0\].steering_angle"),
     ([{"steering_angle": 0}], r"action_space\[0\] must be an object"),
     ({"steering_angle": {"low": 10, "high": -10}, "speed": {"low": 1, "high": 2}}, "greater than low"),
     ("fast", "must be a list")],
)
def test_action_space_json_errors_name_the_entry(value, message):
    with pytest.raises(ActionSpaceError, match=message):
        action_space_from_json(value)


def test_navigation_matches_the_cars_worked_example():
    # Car docs/car-interfaces.md#worked-example: max speed 0.8 m/s, throttle scale 0.4 → 0.4 m/s gives 0.32, 0.2 m/s
    # gives 0.19.
    space = action_space_from_json([{"steering_angle": -20, "speed": 0.8}, {"steering_angle": 10, "speed": 0.4},
                                    {"steering_angle": 0, "speed": 0.2}])
    mapper = NavigationMapper(space)
    # The car's curve for 0.8 m/s: throttle = -1.875 s² + 2.75 s.
    for speed in (0.1, 0.3, 0.55):
        assert mapper.map_speed(speed) == pytest.approx(-1.875 * speed**2 + 2.75 * speed)
    assert mapper.servo_for_action(1, 0.4).throttle == pytest.approx(0.32)
    assert mapper.servo_for_action(2, 0.4).throttle == pytest.approx(0.19)
    # Steering is relative to the largest |steering| of the model: 10° of 20° is half lock, left.
    assert mapper.servo_for_action(1, 0.4).angle == pytest.approx(0.5)
    assert mapper.servo_for_action(0, 1.0).angle == pytest.approx(-1.0)


def test_continuous_navigation_uses_high_as_full_lock_and_clamps():
    mapper = NavigationMapper(ContinuousActionSpace(-30, 20, 0.5, 1.0))
    assert mapper.servo_for(20, 1.0, 1.0).angle == pytest.approx(1.0)
    assert mapper.servo_for(-30, 1.0, 1.0).angle == -1.0  # -1.5 on the car; we clamp to the servo range


@pytest.mark.parametrize("speed", [0.1, 0.33, 0.5, 0.8])
def test_servo_inverse_recovers_the_commanded_speed(speed):
    mapper = NavigationMapper(action_space_from_json([{"steering_angle": 30, "speed": 0.8}]))
    servo = mapper.servo_for(15.0, speed, 1.0)
    steering, recovered = servo_to_command(servo.angle, servo.throttle, 30.0, 0.8)
    assert steering == pytest.approx(15.0) and recovered == pytest.approx(speed)


def test_model_metadata_round_trip_and_errors(tmp_path):
    metadata = ModelMetadata(action_space=discrete_from_garage(30, 5, 1, 3), sensor=["FRONT_FACING_CAMERA", "LIDAR"])
    path = tmp_path / "model" / "model_metadata.json"
    metadata.save(path)
    data = json.loads(path.read_text())
    assert data["action_space_type"] == "discrete" and data["version"] == "5" and len(data["action_space"]) == 15
    assert ModelMetadata.load(path) == metadata
    assert [p.name for p in path.parent.iterdir()] == ["model_metadata.json"], "no temporary file left behind"

    path.write_text('{"action_space": [], ')
    with pytest.raises(ModelMetadataError, match=r"model_metadata.json: not valid JSON at line 1"):
        ModelMetadata.load(path)
    with pytest.raises(ModelMetadataError, match="exactly one camera"):
        ModelMetadata.from_dict({"action_space": data["action_space"], "sensor": ["LIDAR"]})
    with pytest.raises(ModelMetadataError, match="'sac' needs a continuous"):
        ModelMetadata.from_dict({"action_space": data["action_space"], "training_algorithm": "sac"})


def test_lidar_config_rejects_booleans_and_non_divisors():
    assert validate_lidar_config(None) == {"num_sectors": 8, "num_values_per_sector": 8, "clipping_dist": 2.0}
    for bad in ({"num_sectors": True}, {"num_sectors": 7}, {"clipping_dist": 20.0}, {"num_values_per_sector": 0}):
        with pytest.raises(ModelMetadataError):
            validate_lidar_config(bad)
