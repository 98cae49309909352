"""The Gymnasium environment, its vectorised form and the reward-function contract."""
import subprocess
import sys
import textwrap
import time

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import deepracer_sim
import deepracer_sim.env
from deepracer_common.action_space import ActionSpaceError, ContinuousActionSpace, discrete_from_garage
from deepracer_sim.env import DeepRacerEnv, make_vector_env
from deepracer_sim.race.objects import ObjectConfigError
from deepracer_sim.race.reward_function import (
    RewardFunctionError,
    call_reward,
    centre_line_reward,
    load_reward_function,
)
from deepracer_sim.sensors.suite import SensorConfigError


@pytest.mark.parametrize("kwargs", [
    {},
    {"sensors": ["STEREO_CAMERAS", "LIDAR"], "action_space": {"steering_angle": {"low": -30, "high": 30},
                                                              "speed": {"low": 0.5, "high": 2.0}}},
    {"sensors": ["SECTOR_LIDAR"], "race_type": "OBJECT_AVOIDANCE"},
    {"sensors": ["FRONT_FACING_CAMERA", "DISCRETIZED_SECTOR_LIDAR"], "lidar_config": {"num_sectors": 4},
     "race_type": "HEAD_TO_BOT", "render_mode": "rgb_array"},
])
def test_check_env_passes(kwargs):
    env = gym.make(deepracer_sim.ENV_ID, track="crescent_loop", **kwargs).unwrapped  # with a spec
    assert isinstance(env, DeepRacerEnv)
    check_env(env, skip_render_check=False)


def test_registered_as_deepracer_v0():
    env = gym.make(deepracer_sim.ENV_ID, track="beginner_oval", sensors=["LIDAR"])
    obs, info = env.reset(seed=3)
    assert set(obs) == {"LIDAR"} and info["track"] == "beginner_oval"
    env.close()
    vector = gym.make_vec(deepracer_sim.ENV_ID, num_envs=2, sensors=["LIDAR"])
    assert isinstance(vector.unwrapped, deepracer_sim.env.DeepRacerVectorEnv) and vector.num_envs == 2
    obs, _ = vector.reset(seed=1)
    assert obs["LIDAR"].shape == (2, 64)
    vector.close()


def test_importing_the_package_stays_light():
    code = "import sys, deepracer_sim; print(sorted(m for m in ('numba', 'shapely', 'scipy', 'torch', 'rclpy') " \
           "if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_observations_have_the_model_metadata_shapes():
    env = DeepRacerEnv(sensors=["STEREO_CAMERAS", "DISCRETIZED_SECTOR_LIDAR"],
                       lidar_config={"num_sectors": 8, "num_values_per_sector": 4, "clipping_dist": 1.0})
    obs, _ = env.reset(seed=0)
    assert obs["STEREO_CAMERAS"].shape == (120, 160, 2) and obs["STEREO_CAMERAS"].dtype == np.uint8
    assert obs["DISCRETIZED_SECTOR_LIDAR"].shape == (32,) and obs["DISCRETIZED_SECTOR_LIDAR"].dtype == np.float32
    camera = DeepRacerEnv(sensors=["observation", "LIDAR"])
    obs, _ = camera.reset(seed=0)
    assert obs["observation"].shape == (120, 160, 1)
    assert obs["LIDAR"].shape == (64,) and obs["LIDAR"].min() >= 0.15 and obs["LIDAR"].max() <= 1.0
    assert obs["observation"].std() > 5  # a real picture of the track, not a blank frame


def test_step_info_has_everything_a_sim_trace_row_needs():
    env = DeepRacerEnv(sensors=["LIDAR"])
    env.reset(seed=0)
    _, reward, terminated, truncated, info = env.step(7)
    assert reward == 0.0 and not terminated and not truncated
    assert info["episode_status"] == "prepare"
    _, reward, _, _, info = env.step(7)
    for key in ("params", "episode_status", "episode", "steps", "sim_time", "lap_time", "pause_duration",
                "obstacle_crash_counter", "reset_count", "action_index", "steering_angle", "speed",
                "closest_waypoint", "progress"):
        assert key in info, key
    action = env.actions.actions[7]
    assert info["action_index"] == 7
    assert (info["steering_angle"], info["speed"]) == (action.steering_angle, action.speed)
    assert info["steps"] == 2.0 and info["sim_time"] == pytest.approx(1 / 15)
    assert reward == centre_line_reward(info["params"])
    assert info["closest_waypoint"] in info["params"]["closest_waypoints"]


def test_bad_actions_get_a_clear_error():
    env = DeepRacerEnv(sensors=["LIDAR"])
    env.reset(seed=0)
    with pytest.raises(ActionSpaceError, match=r"action index 15 is out of range \[0, 14\]"):
        env.step(15)
    with pytest.raises(ActionSpaceError, match="integer index"):
        env.step(1.5)
    continuous = DeepRacerEnv(sensors=["LIDAR"], action_space=ContinuousActionSpace(-30, 30, 0.5, 1.0))
    continuous.reset(seed=0)
    with pytest.raises(ActionSpaceError, match="must be finite"):
        continuous.step(np.array([np.nan, 0.0], dtype=np.float32))
    obs, _, _, _, info = continuous.step(np.array([1.0, -1.0], dtype=np.float32))
    assert (info["steering_angle"], info["speed"]) == (30.0, 0.5) and info["action_index"] == -1
    vector = make_vector_env(2, sensors=["LIDAR"])
    vector.reset(seed=0)
    with pytest.raises(ActionSpaceError, match="one action per environment"):
        vector.step(np.array([1, 2, 3]))


def test_bad_configuration_gets_a_clear_error():
    with pytest.raises(SensorConfigError, match="unknown sensor 'RADAR'"):
        DeepRacerEnv(sensors=["RADAR"])
    with pytest.raises(SensorConfigError, match="at most one camera"):
        DeepRacerEnv(sensors=["FRONT_FACING_CAMERA", "STEREO_CAMERAS"])
    with pytest.raises(SensorConfigError, match="num_sectors must divide 64"):
        DeepRacerEnv(sensors=["DISCRETIZED_SECTOR_LIDAR"], lidar_config={"num_sectors": 7})
    with pytest.raises(ValueError, match="race_type must be one of"):
        DeepRacerEnv(race_type="DRAG_RACE")
    with pytest.raises(ObjectConfigError, match="TIME_TRIAL race has no obstacles"):
        DeepRacerEnv(number_of_obstacles=2)
    with pytest.raises(ObjectConfigError, match="bot cars need a closed track"):
        DeepRacerEnv(track="straight", race_type="HEAD_TO_BOT")
    with pytest.raises(ValueError, match="start_ndist must be in"):
        DeepRacerEnv(start_ndist=1.2)
    with pytest.raises(ValueError, match="continuous_laps is a number of laps"):
        DeepRacerEnv(continuous_laps=True)


def test_model_metadata_action_spaces_are_accepted():
    from deepracer_common.model_metadata import ModelMetadata

    metadata = ModelMetadata(action_space=discrete_from_garage(20.0, 3, 2.0, 2))
    env = DeepRacerEnv(sensors=["LIDAR"], action_space=metadata)
    assert env.action_space == gym.spaces.Discrete(6)
    env = DeepRacerEnv(sensors=["LIDAR"], action_space=[{"steering_angle": 0, "speed": 1.0}])
    assert env.action_space == gym.spaces.Discrete(1)
    assert DeepRacerEnv(sensors=["LIDAR"]).action_space == gym.spaces.Discrete(15)  # the workshop's default


def test_reward_function_failures_stop_the_step(tmp_path):
    def raising(params):
        if params["steps"] >= 3:
            raise KeyError("progres")
        return 1.0

    env = DeepRacerEnv(sensors=["LIDAR"], reward_function=raising)
    env.reset(seed=0)
    env.step(7)
    env.step(7)
    with pytest.raises(RewardFunctionError, match=r"raised KeyError: 'progres' at step 3; params: .*x=.*progress="):
        env.step(7)
    for bad, message in ((lambda p: float("nan"), "returned nan at step 2"),
                         (lambda p: "1.0x", "returned '1.0x' \\(str\\), not a number, at step 2"),
                         (lambda p: None, "returned None, not a number"),
                         (lambda p: 2e5, "outside ±100000")):
        env = DeepRacerEnv(sensors=["LIDAR"], reward_function=bad)
        env.reset(seed=0)
        env.step(0)
        with pytest.raises(RewardFunctionError, match=message):
            env.step(0)
    path = tmp_path / "reward.py"
    path.write_text("def reward_function(params):\n    return float(params['progress'])\n")
    env = DeepRacerEnv(sensors=["LIDAR"], reward_function=str(path))
    env.reset(seed=0)
    env.step(7)
    _, reward, _, _, info = env.step(7)
    assert reward == pytest.approx(info["params"]["progress"])


def test_call_reward_enforces_the_time_limit_and_restores_other_alarms():
    import signal

    handler_before = signal.getsignal(signal.SIGALRM)
    outer_before = signal.getitimer(signal.ITIMER_REAL)[0]  # pytest-timeout's, when it runs

    def slow(params):
        time.sleep(2.0)
        return 1.0

    started = time.perf_counter()
    with pytest.raises(RewardFunctionError, match="ran longer than 0.2 s at step 9"):
        call_reward(slow, {"x": 1.0}, 9, time_limit_s=0.2)
    assert time.perf_counter() - started < 1.5  # interrupted, not waited out

    def swallowing(params):  # a bare `except Exception` must not hide the timeout
        try:
            time.sleep(2.0)
        except Exception:
            pass
        return 1.0

    with pytest.raises(RewardFunctionError, match="ran longer than"):
        call_reward(swallowing, {}, 1, time_limit_s=0.2)
    assert signal.getsignal(signal.SIGALRM) == handler_before
    outer_after = signal.getitimer(signal.ITIMER_REAL)[0]
    if outer_before:
        assert outer_before - 5.0 < outer_after < outer_before
    else:
        assert outer_after == 0.0
    assert call_reward(lambda p: 3, {}, 1) == 3.0
    # A batch shares one handler; a slow call in the middle is still cut off, and all is restored.
    from deepracer_sim.race.reward_function import RewardTimer

    with pytest.raises(RewardFunctionError, match="ran longer than 0.2 s at step 2"):
        with RewardTimer(0.2) as timer:
            assert timer.call(lambda p: 1.5, {}, 1) == 1.5
            timer.call(slow, {}, 2)
    assert signal.getsignal(signal.SIGALRM) == handler_before
    assert (signal.getitimer(signal.ITIMER_REAL)[0] > 0) == bool(outer_before)


def test_load_reward_function_errors_name_the_file(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("def reward_function(params)\n    return 1.0\n")
    with pytest.raises(RewardFunctionError, match=r"broken.py:1: syntax error"):
        load_reward_function(broken)
    empty = tmp_path / "empty.py"
    empty.write_text("def reward(params):\n    return 1.0\n")
    with pytest.raises(RewardFunctionError, match=r"empty.py: defines no function named reward_function"):
        load_reward_function(empty)
    failing = tmp_path / "failing.py"
    failing.write_text("import no_such_module_here\n")
    with pytest.raises(RewardFunctionError, match=r"failing.py: importing it failed: ModuleNotFoundError"):
        load_reward_function(failing)
    with pytest.raises(RewardFunctionError, match="no such reward function file"):
        load_reward_function(tmp_path / "missing.py")


def test_render_returns_the_colour_camera_view():
    env = DeepRacerEnv(render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (120, 160, 3) and frame.dtype == np.uint8


def test_seeded_reset_repeats_the_run():
    env = DeepRacerEnv(race_type="OBJECT_AVOIDANCE", randomize_obstacles=True)
    first = []
    for _ in range(2):
        obs, info = env.reset(seed=11)
        layout = env.sim.objects.array.copy()
        trajectory = [env.step(a)[0]["FRONT_FACING_CAMERA"] for a in (7, 7, 2, 2, 12)]
        first.append((obs["FRONT_FACING_CAMERA"], layout, trajectory))
        env.reset()  # a training reset in between advances the round robin and redraws the layout
    (a_obs, a_layout, a_traj), (b_obs, b_layout, b_traj) = first
    np.testing.assert_array_equal(a_obs, b_obs)
    np.testing.assert_array_equal(a_layout, b_layout)
    for x, y in zip(a_traj, b_traj):
        np.testing.assert_array_equal(x, y)


def test_step_commanded_with_the_actions_command_is_step():
    kwargs = dict(sensors=["FRONT_FACING_CAMERA", "LIDAR"], race_type="OBJECT_AVOIDANCE", seed=4)
    by_action, by_command = DeepRacerEnv(**kwargs), DeepRacerEnv(**kwargs)
    by_action.reset(seed=4)
    by_command.reset(seed=4)
    for action in (7, 7, 2, 12, 12, 4):
        expected = by_action.step(action)
        got = by_command.step_commanded(*by_command.actions.command(action), action)
        for name in ("FRONT_FACING_CAMERA", "LIDAR"):
            np.testing.assert_array_equal(got[0][name], expected[0][name])
        assert got[1:4] == expected[1:4] and got[4]["params"] == expected[4]["params"]
        assert got[4]["action_index"] == action


def test_step_commanded_reports_the_command_while_the_wheels_obey_the_drive():
    # The simulation scenario's rules (config/simulation.yaml): evaluation with resets after failures.
    env = DeepRacerEnv(evaluation=True, number_of_resets=10_000, off_track_penalty=1.0, collision_penalty=1.0,
                       seed=0)
    env.reset()
    start = env.sim.car.pose
    for _ in range(60):  # 4 s with the servo at zero throttle: the car stands, steered, and is never reset
        obs, reward, terminated, truncated, info = env.step_commanded(12.5, 0.8, 3, drive=(12.5, 0.0))
        assert info["episode_status"] in ("prepare", "in_progress") and not (terminated or truncated)
    assert info["params"]["steering_angle"] == 12.5 and info["params"]["speed"] == 0.8
    assert info["action_index"] == 3 and info["reset_count"] == 0
    assert env.sim.car.pose[:2] == pytest.approx(start[:2], abs=1e-9)
    assert np.degrees(env.sim.car.state[6]) == pytest.approx(12.5)
    for _ in range(15):
        env.step_commanded(0.0, 0.8, drive=(0.0, 0.8))
    assert np.hypot(env.sim.car.pose[0] - start[0], env.sim.car.pose[1] - start[1]) > 0.5


@pytest.mark.parametrize("sensor", ["LIDAR", "SECTOR_LIDAR", "DISCRETIZED_SECTOR_LIDAR"])
def test_lidar_ranges_are_the_raw_scan_behind_the_observation(sensor, monkeypatch):
    from deepracer_common.observations import lidar_observation
    from deepracer_sim.sensors.lidar import Lidar
    from deepracer_sim.sensors.suite import lidar_period

    env = DeepRacerEnv(sensors=["FRONT_FACING_CAMERA", sensor], race_type="OBJECT_AVOIDANCE", seed=2)
    assert env.lidar_ranges is None
    scans = []
    scan_ranges = env._suite.scan_ranges
    monkeypatch.setattr(env._suite, "scan_ranges", lambda *args: scans.append(1) or scan_ranges(*args))
    obs, _ = env.reset(seed=2)
    # The ranges are the scan of the pose the observation was made at, with the objects in it.
    expected = Lidar(env.sim.track).scan(np.array([env.sim.car.pose]), env.sim.objects.array)[0]
    np.testing.assert_array_equal(env.lidar_ranges, expected)
    assert env.lidar_ranges.shape == (64,) and env.lidar_ranges.dtype == np.float32
    assert not env.lidar_ranges.flags.writeable
    periods = {lidar_period(env.sim.sim_time)}
    previous = env.lidar_ranges
    for action in (7, 7, 8, 8, 6, 7, 7, 7, 9, 7):
        obs, *_ = env.step(action)
        np.testing.assert_array_equal(obs[sensor], lidar_observation(env.lidar_ranges, sensor))
        period = lidar_period(env.sim.sim_time)
        # 10 Hz scans, 15 Hz steps: a new scan only when the LIDAR period rolls over.
        assert np.shares_memory(env.lidar_ranges, previous) == (period in periods)
        periods.add(period)
        previous = env.lidar_ranges
    assert len(scans) == len(periods), "one scan per LIDAR period"


def test_vector_env_matches_single_envs_and_autoresets_in_the_same_step():
    kwargs = dict(track="crescent_loop", sensors=["FRONT_FACING_CAMERA", "LIDAR"], max_steps=6)
    vector = make_vector_env(3, **kwargs)
    singles = [DeepRacerEnv(**kwargs) for _ in range(3)]
    obs, info = vector.reset(seed=5)
    single_obs = [env.reset(seed=5 + i)[0] for i, env in enumerate(singles)]
    for i in range(3):
        np.testing.assert_array_equal(obs["FRONT_FACING_CAMERA"][i], single_obs[i]["FRONT_FACING_CAMERA"])
    assert vector.observation_space.contains(obs)
    actions = np.array([[7, 2, 12]] * 5 + [[7, 7, 7]])
    for step, action in enumerate(actions):
        obs, rewards, terminated, truncated, info = vector.step(action)
        expected = [env.step(int(a)) for env, a in zip(singles, action)]
        if step < 5:
            assert "final_obs" not in info
            for i in range(3):
                np.testing.assert_array_equal(obs["LIDAR"][i], expected[i][0]["LIDAR"])
                assert rewards[i] == expected[i][1]
                assert info["params"][i] == expected[i][4]["params"]
            assert info["episode_status"].tolist() == [e[4]["episode_status"] for e in expected]
            assert info["_steps"].all() and info["steps"].dtype == np.float64
    # Step 6 hits max_steps everywhere: the final observation goes to info, obs is the next episode's first.
    assert truncated.all() and not terminated.any()
    assert info["_final_obs"].all() and info["_final_info"].all()
    for i in range(3):
        np.testing.assert_array_equal(info["final_obs"][i]["FRONT_FACING_CAMERA"], expected[i][0]["FRONT_FACING_CAMERA"])
    assert info["final_info"]["steps"].tolist() == [6.0, 6.0, 6.0]
    assert info["episode"].tolist() == [1, 1, 1] and info["episode_status"].tolist() == ["prepare"] * 3
    fresh = [env.reset()[0] for env in singles]
    for i in range(3):
        np.testing.assert_array_equal(obs["FRONT_FACING_CAMERA"][i], fresh[i]["FRONT_FACING_CAMERA"])
    assert vector.metadata["autoreset_mode"] == gym.vector.AutoresetMode.SAME_STEP


def test_vector_env_resets_only_the_finished_cars():
    vector = make_vector_env(2, sensors=["LIDAR"])
    vector.reset(seed=0)
    # Car 0 steers hard right at full speed and leaves the track; car 1 goes straight and gently.
    for _ in range(60):
        obs, rewards, terminated, truncated, info = vector.step(np.array([0, 7]))
        if terminated.any():
            break
    assert terminated.tolist() == [True, False]
    assert info["_final_info"].tolist() == [True, False]
    assert info["final_info"]["episode_status"][0] == "off_track"
    assert info["episode_status"][0] == "prepare" and info["episode_status"][1] == "in_progress"
    assert vector.envs[0].sim.episode == 1 and vector.envs[1].sim.episode == 0
    assert vector.envs[0].sim.start_ndist == pytest.approx(0.05)  # round robin on the finished car only


def test_track_plot_is_written(tmp_path):
    from deepracer_sim.plot import plot_track

    env = DeepRacerEnv(sensors=["LIDAR"], race_type="OBJECT_AVOIDANCE")
    env.reset(seed=0)
    path = [env.sim.car.pose[:2]]
    for _ in range(40):
        _, _, done, _, _ = env.step(7)
        path.append(env.sim.car.pose[:2])
        if done:
            break
    out = tmp_path / "plots" / "lap.png"
    plot_track(env.track, paths={"car": path}, out_png=out, objects=env.sim.objects.array)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    with pytest.raises(ValueError, match="must be an \\(M, 2\\) array"):
        plot_track("crescent_loop", paths=[[1.0, 2.0, 3.0]])


def test_reward_file_template_from_the_docs_runs(tmp_path):
    path = tmp_path / "follow.py"
    path.write_text(textwrap.dedent("""
        import math

        def reward_function(params):
            if not params["all_wheels_on_track"]:
                return 1e-3
            return 1.0 - params["distance_from_center"] / (params["track_width"] / 2)
    """))
    env = DeepRacerEnv(sensors=["LIDAR"], reward_function=path)
    env.reset(seed=0)
    rewards = [env.step(7)[1] for _ in range(20)]  # straight ahead along the start straight's centre line
    assert rewards[0] == 0.0  # prepare
    assert rewards[1:] == pytest.approx([1.0] * 19, abs=1e-6)


def test_benchmark_runs_and_reports_every_figure(tmp_path, capsys):
    import json

    from deepracer_sim.bench import simulator as bench

    out = tmp_path / "bench.json"
    assert bench.main(["--runs", "1", "--steps", "16", "--repeat", "8", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    figures = json.loads(out.read_text())
    for name in ("camera env, single", "camera env, vectorised x8 (aggregate)", "LIDAR-only env, single"):
        assert name in printed and figures[name]["cpu_median"] > 0
    assert set(figures["parts_us"]) >= {"physics (one 1/15 s step)", "params (geometry + dict)",
                                        "camera render, 1 frame"}
