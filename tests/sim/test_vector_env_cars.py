"""The vectorised environment driven a few cars at a time (reset_cars / step_cars), as the trainer
drives it, and reset() with a start point per car."""
import numpy as np
import pytest

from deepracer_sim.env import DeepRacerEnv, make_vector_env

KWARGS = dict(track="crescent_loop", sensors=["FRONT_FACING_CAMERA", "LIDAR"], max_steps=8)


def test_reset_takes_a_start_point_per_car():
    vector = make_vector_env(3, **KWARGS)
    obs, info = vector.reset(seed=2, options={"start_ndist": [0.1, None, 0.7]})
    assert info["start_ndist"].tolist() == pytest.approx([0.1, 0.0, 0.7])
    for i, start in enumerate((0.1, None, 0.7)):
        single = DeepRacerEnv(**KWARGS)
        single_obs, _ = single.reset(seed=2 + i, options=None if start is None else {"start_ndist": start})
        np.testing.assert_array_equal(obs["FRONT_FACING_CAMERA"][i], single_obs["FRONT_FACING_CAMERA"])
    # One value still means every car.
    _, info = vector.reset(options={"start_ndist": 0.25})
    assert info["start_ndist"].tolist() == [0.25] * 3
    with pytest.raises(ValueError, match="3 values for 2 cars|2 values for 3 cars"):
        vector.reset(options={"start_ndist": [0.1, 0.2]})
    with pytest.raises(ValueError, match="unknown reset option"):
        vector.reset(options={"start": 0.1})


def test_step_cars_moves_only_the_cars_named_and_matches_single_environments():
    vector = make_vector_env(3, **KWARGS)
    singles = [DeepRacerEnv(**dict(KWARGS, seed=7 + i)) for i in range(3)]
    obs, infos = vector.reset_cars([2, 0], start_ndist=[0.5, 0.2], seeds=[9, 7])
    expected = {0: singles[0].reset(seed=7, options={"start_ndist": 0.2})[0],
                2: singles[2].reset(seed=9, options={"start_ndist": 0.5})[0]}
    assert [info["start_ndist"] for info in infos] == [0.5, 0.2]
    np.testing.assert_array_equal(obs["FRONT_FACING_CAMERA"][0], expected[2]["FRONT_FACING_CAMERA"])
    np.testing.assert_array_equal(obs["FRONT_FACING_CAMERA"][1], expected[0]["FRONT_FACING_CAMERA"])
    idle_pose = vector.envs[1].sim.car.pose
    for action_0, action_2 in ((7, 2), (12, 7), (7, 7)):
        obs, rewards, terminated, truncated, infos = vector.step_cars([0, 2], [action_0, action_2])
        for row, (car, action) in enumerate(((0, action_0), (2, action_2))):
            single_obs, reward, _, _, info = singles[car].step(action)
            for key in ("FRONT_FACING_CAMERA", "LIDAR"):
                np.testing.assert_array_equal(obs[key][row], single_obs[key])
            assert rewards[row] == reward and infos[row]["params"] == info["params"]
    assert obs["FRONT_FACING_CAMERA"].shape == (2, 120, 160, 1)
    assert vector.envs[1].sim.car.pose == idle_pose  # car 1 was never asked to drive


def test_step_cars_leaves_an_ended_episode_alone_until_the_car_is_reset():
    vector = make_vector_env(2, **KWARGS)
    vector.reset_cars([0, 1])
    for step in range(8):
        obs, rewards, terminated, truncated, infos = vector.step_cars([0, 1], [7, 7])
    # Step 8 is the step limit: both episodes are truncated, and neither car starts a new one by itself.
    assert truncated.all() and not terminated.any()
    assert [info["steps"] for info in infos] == [8.0, 8.0]
    assert [env.sim.episode for env in vector.envs] == [0, 0]
    with pytest.raises(RuntimeError, match=r"car\(s\) \[1\] finished their episode"):
        vector.step_cars([1], [7])
    obs, infos = vector.reset_cars([1])
    assert infos[0]["episode"] == 1 and infos[0]["start_ndist"] == pytest.approx(0.05)  # its own round robin
    _, _, _, _, infos = vector.step_cars([1], [7])
    assert infos[0]["steps"] == 1.0


def test_car_rows_and_actions_are_checked():
    vector = make_vector_env(2, sensors=["LIDAR"])
    vector.reset_cars([0, 1])
    with pytest.raises(ValueError, match="distinct indices in \\[0, 2\\)"):
        vector.step_cars([0, 0], [7, 7])
    with pytest.raises(ValueError, match="distinct indices"):
        vector.reset_cars([2])
    with pytest.raises(Exception, match="one action per car stepped \\(1\\)"):
        vector.step_cars([1], [7, 7])
