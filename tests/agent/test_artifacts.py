"""The model folder a training writes: DeepRacer-for-Cloud layout and the community's file formats."""
import json
import re
import tarfile

import numpy as np
import pandas as pd
import pytest

from deepracer_agent.model.simtrace import SIMTRACE_HEADER
from deepracer_common.model_metadata import ModelMetadata

EXPECTED_HEADER = ["episode", "steps", "X", "Y", "yaw", "steer", "throttle", "action", "reward", "done",
                   "all_wheels_on_track", "progress", "closest_waypoint", "track_len", "tstamp", "episode_status",
                   "pause_duration", "obstacle_crash_counter", "wall_clock"]


def test_folder_layout(trained_model):
    folder, summary = trained_model
    assert summary.iterations == 2
    for relative in ("model/model_metadata.json", "model/deepracer_checkpoints.json", "ip/hyperparameters.json",
                     "reward_function.py", "training-simtrace/0-iteration.csv", "training-simtrace/1-iteration.csv",
                     "metrics/TrainingMetrics.json", "training_params.yaml"):
        assert (folder.path / relative).is_file(), relative
    names = sorted(p.name for p in folder.model_dir.glob("*.ckpt"))
    assert all(re.fullmatch(r"\d+_Step-\d+\.ckpt", n) for n in names)
    assert {n.split("_")[0] for n in names} == {"0", "1", "2"}
    assert not list(folder.path.rglob("*.tmp"))


def test_simtrace_header_and_types(trained_model):
    folder, summary = trained_model
    first_line = (folder.simtrace_dir / "0-iteration.csv").read_text().splitlines()[0]
    assert first_line.split(",") == EXPECTED_HEADER == list(SIMTRACE_HEADER)
    frame = pd.concat([pd.read_csv(p) for p in sorted(folder.simtrace_dir.glob("*-iteration.csv"))])
    assert list(frame.columns) == EXPECTED_HEADER
    for column in ("episode", "action", "closest_waypoint", "obstacle_crash_counter"):
        assert frame[column].dtype == np.int64, column
    for column in ("steps", "X", "Y", "yaw", "steer", "throttle", "reward", "progress", "track_len", "tstamp",
                   "pause_duration", "wall_clock"):
        assert frame[column].dtype == np.float64, column
    assert frame["done"].dtype == bool and frame["all_wheels_on_track"].dtype == bool
    assert set(frame["episode_status"]) <= {"prepare", "in_progress", "off_track", "crashed", "immobilized",
                                            "reversed", "lap_complete", "pause", "time_up"}
    # Episodes are numbered from 0 across iterations; each ends with exactly one done row.
    assert sorted(frame["episode"].unique()) == list(range(summary.episodes))
    assert frame.groupby("episode")["done"].sum().eq(1).all()
    assert (frame.groupby("episode")["episode_status"].first() == "prepare").all()
    assert frame["steps"].groupby(frame["episode"]).first().eq(1.0).all()
    assert frame["track_len"].iloc[0] == pytest.approx(16.2, abs=0.3)  # beginner_oval
    # tstamp is simulation time: 1/15 s per step within an episode.
    steps = frame[frame["episode"] == 0]["tstamp"].diff().dropna()
    assert steps.to_numpy() == pytest.approx(np.full(len(steps), 1 / 15), abs=1e-6)
    assert frame["action"].between(0, 14).all()


def test_metadata_hyperparameters_and_checkpoint_record(trained_model):
    folder, summary = trained_model
    metadata = json.loads(folder.metadata_path.read_text())
    assert metadata["sensor"] == ["FRONT_FACING_CAMERA"]
    assert metadata["neural_network"] == "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW"
    assert metadata["action_space_type"] == "discrete" and len(metadata["action_space"]) == 15
    ModelMetadata.from_dict(metadata)
    hyper = json.loads(folder.hyperparameters_path.read_text())
    assert hyper["num_episodes_between_training"] == 4 and hyper["loss_type"] == "huber"
    record = json.loads(folder.checkpoints_json_path.read_text())
    assert set(record) == {"best_checkpoint", "last_checkpoint"}
    assert record["last_checkpoint"]["name"] == summary.last_checkpoint
    assert record["last_checkpoint"]["name"].startswith("2_Step-")
    for entry in record.values():
        assert set(entry) == {"name", "avg_eval_metric", "time_stamp"}
        assert (folder.model_dir / entry["name"]).is_file()


def test_training_metrics_json(trained_model):
    folder, summary = trained_model
    data = json.loads(folder.training_metrics_path.read_text())
    assert data["version"] == 2.0 and data["best_model_metric"] == "progress"
    training = [m for m in data["metrics"] if m["phase"] == "training"]
    evaluation = [m for m in data["metrics"] if m["phase"] == "evaluation"]
    assert [m["episode"] for m in training] == list(range(1, summary.episodes + 1))
    assert [m["trial"] for m in training] == [1, 2, 3, 4, 1, 2, 3, 4]
    assert len(evaluation) == 4 and {m["episode"] for m in evaluation} == {4, 8}
    for entry in data["metrics"]:
        assert set(entry) == {"reward_score", "metric_time", "start_time", "elapsed_time_in_milliseconds", "episode",
                              "trial", "phase", "completion_percentage", "episode_status"}
        assert entry["elapsed_time_in_milliseconds"] == entry["metric_time"] - entry["start_time"] >= 0
        assert isinstance(entry["completion_percentage"], int) and 0 <= entry["completion_percentage"] <= 100
        assert entry["episode_status"] in {"Lap complete", "Off track", "Crashed", "Immobilized", "Reversed", "In progress"}


def test_checkpoint_loads_and_acts(trained_model):
    from deepracer_agent.policy.runner import PolicyRunner

    folder, _ = trained_model
    runner = PolicyRunner.from_model(folder.path, "last")
    frame = np.full((120, 160, 1), 128, dtype=np.uint8)
    decision = runner.act({"FRONT_FACING_CAMERA": frame})
    action, steering, speed = decision.action, decision.steering_angle, decision.speed
    assert 0 <= action < 15
    assert (steering, speed) == runner.action_space.command(action)


def test_onnx_export_matches_torch_and_tarball(trained_model, tmp_path):
    import onnxruntime

    from deepracer_agent.model.export import export_tarball, sample_inputs
    from deepracer_agent.policy.runner import PolicyRunner

    folder, _ = trained_model
    result = export_tarball(folder, output=tmp_path / "car.tar.gz")
    assert result["max_abs_difference"] < 1e-4
    with tarfile.open(tmp_path / "car.tar.gz") as tar:
        assert sorted(tar.getnames()) == ["checksum.txt", "model.onnx", "model_metadata.json"]
        metadata = json.loads(tar.extractfile("model_metadata.json").read())
    assert metadata == json.loads(folder.metadata_path.read_text())
    session = onnxruntime.InferenceSession(result["path"], providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["FRONT_FACING_CAMERA"]
    inputs = sample_inputs({"FRONT_FACING_CAMERA": (120, 160, 1)}, 3, seed=5)
    (probabilities,) = session.run(["policy"], inputs)
    assert probabilities.shape == (3, 15)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    runner = PolicyRunner.from_model(folder.path)
    assert probabilities.argmax(axis=1).tolist() == runner.act_batch(inputs).actions.tolist()
