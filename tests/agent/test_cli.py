"""`deepracer` subcommands run in-process: garage, templates, models list/show/clone/use-checkpoint/export/delete,
evaluate and analyze."""
import json
import shutil

import pandas as pd
import pytest
import torch

from deepracer_bringup.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_garage_prints_the_workshop_actions(capsys):
    code, out, _ = run(capsys, "garage", "--max-steering-angle", "30", "--steering-granularity", "5",
                       "--max-speed", "1", "--speed-granularity", "3")
    assert code == 0
    assert "discrete, 15 actions" in out
    assert "14: steering   30.0°  speed 1.00 m/s" in out
    code, _, err = run(capsys, "garage", "--max-steering-angle", "45")
    assert code == 1 and "maximum steering angle must be in (0, 30]" in err


def test_templates_listing_and_copy(capsys, tmp_path):
    code, out, _ = run(capsys, "templates")
    assert code == 0 and "centerline" in out and "steering_penalty" in out and "slow_speed_penalty" in out
    code, out, _ = run(capsys, "templates", "centerline", "--copy", str(tmp_path))
    assert code == 0 and (tmp_path / "centerline.py").read_text().startswith('"""Reward: stay close')


@pytest.fixture()
def models(trained_model, tmp_path, monkeypatch):
    """A private copy of the trained model's root, so commands that change it do not touch the shared one."""
    root = tmp_path / "models"
    shutil.copytree(trained_model[0].path, root / "tiny")
    monkeypatch.setenv("DEEPRACER_MODELS", str(root))
    return root


def test_models_list_and_show(capsys, models):
    code, out, _ = run(capsys, "models", "list", "--json")
    assert code == 0
    [summary] = json.loads(out)
    assert summary["name"] == "tiny" and summary["iterations"] == 2 and summary["track"] == "beginner_oval"
    code, out, _ = run(capsys, "models", "show", "tiny")
    assert code == 0 and "3-layer CNN" in out and "15 actions" in out and "beginner_oval" in out


def test_clone_refuses_a_changed_action_space(capsys, models):
    code, _, err = run(capsys, "models", "clone", "tiny", "tiny-fast", "--max-speed", "2", "--no-progress")
    assert code == 1
    assert "cannot clone 'tiny' with a different action space" in err
    assert "15 discrete actions (up to 30°, 1 m/s)" in err and "up to 30°, 2 m/s" in err
    assert not (models / "tiny-fast").exists()
    code, _, err = run(capsys, "train", "--clone", "tiny", "--model", "tiny-5", "--network", "5-layer CNN")
    assert code == 1 and "different neural network" in err


def test_clone_keeps_the_vehicle_and_starts_from_the_source_weights(capsys, models):
    code, out, err = run(capsys, "models", "clone", "tiny", "tiny-2", "--track", "crescent_loop",
                         "--max-iterations", "1", "--no-progress")
    assert code == 0, err
    source = json.loads((models / "tiny" / "model" / "model_metadata.json").read_text())
    clone = json.loads((models / "tiny-2" / "model" / "model_metadata.json").read_text())
    assert clone == source
    config = json.loads((models / "tiny-2" / "training_config.json").read_text())
    assert config["track"] == "crescent_loop" and config["cloned_from"]["model"] == "tiny"
    best = json.loads((models / "tiny" / "model" / "deepracer_checkpoints.json").read_text())["best_checkpoint"]["name"]
    assert config["cloned_from"]["checkpoint"] == best
    start = torch.load(models / "tiny-2" / "model" / "0_Step-0.ckpt", weights_only=True)["model_state"]
    origin = torch.load(models / "tiny" / "model" / best, weights_only=True)["model_state"]
    assert all(torch.equal(start[key], origin[key]) for key in origin)


def test_use_checkpoint_sets_the_final_model(capsys, models):
    code, out, _ = run(capsys, "models", "use-checkpoint", "tiny", "1")
    assert code == 0
    record = json.loads((models / "tiny" / "model" / "deepracer_checkpoints.json").read_text())
    assert record["best_checkpoint"]["name"].startswith("1_Step-")
    assert record["last_checkpoint"]["name"].startswith("2_Step-")
    code, _, err = run(capsys, "models", "use-checkpoint", "tiny", "7")
    assert code == 1 and "has no checkpoint '7'" in err


def test_export_writes_onnx_and_archive(capsys, models):
    code, out, _ = run(capsys, "models", "export", "tiny", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["max_abs_difference"] < 1e-4
    assert result["tarball"].endswith("tiny.tar.gz")


def test_delete_needs_confirmation(capsys, models, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    code, _, err = run(capsys, "models", "delete", "tiny")
    assert code == 1 and "without --yes" in err and (models / "tiny").exists()
    code, _, _ = run(capsys, "models", "delete", "tiny", "--yes")
    assert code == 0 and not (models / "tiny").exists()


def test_evaluate_json_reports_each_lap(capsys, models):
    code, out, err = run(capsys, "evaluate", "tiny", "--laps", "2", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["track"] == "beginner_oval" and len(result["laps"]) == 2
    for lap in result["laps"]:
        assert 0.0 <= lap["progress"] <= 100.0
        assert (lap["lap_time"] is None) == (lap["progress"] < 100.0)
        assert {"off_track_count", "crash_count", "status", "steps"} <= set(lap)
    run_dir = models / "tiny" / result["evaluation_dir"].split("/")[-1]
    assert run_dir.name.startswith("evaluation-") and len(run_dir.name) == len("evaluation-") + 14
    trace = pd.read_csv(run_dir / "evaluation-simtrace" / "0-iteration.csv")
    assert trace.columns[-2:].tolist() == ["obstacle_crash_counter", "wall_clock"]
    assert trace["episode_status"].iloc[0] == "prepare"
    assert len(trace) == sum(lap["steps"] for lap in result["laps"])
    metrics = json.loads((models / "tiny" / "metrics" / f"EvaluationMetrics-{run_dir.name[11:]}.json").read_text())
    assert [m["trial"] for m in metrics["metrics"]] == [1, 2]


def test_evaluate_with_penalty_resets_the_car(capsys, models):
    from deepracer_agent.evaluation import evaluate_model

    result = evaluate_model("tiny", laps=1, off_track_penalty=1.0, max_steps=400, write=False)
    lap = result.laps[0]
    # The tiny model leaves the track; with a penalty it is put back instead of ending the trial.
    assert lap.off_track_count + lap.crash_count + lap.reversed_count + lap.immobilized_count >= 1
    assert lap.reset_count >= 1 and lap.steps > 1


def test_analyze_writes_plots(capsys, models):
    code, out, err = run(capsys, "analyze", "tiny")
    assert code == 0, err
    for name in ("reward.png", "progress.png", "track.png"):
        path = models / "tiny" / "analysis" / name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "best checkpoint:" in out and "iteration   1" in out


def test_evaluate_continuous_counts_laps_within_one_episode(capsys, models):
    from deepracer_agent.evaluation import evaluate_model

    result = evaluate_model("tiny", laps=2, continuous=True, max_steps=300)
    data = result.to_dict()
    assert data["continuous"] is True and len(data["laps"]) == 2
    trace = pd.read_csv(f"{result.evaluation_dir}/evaluation-simtrace/0-iteration.csv")
    # One episode: a single prepare step, and every lap that ended without a lap time is accounted for.
    assert (trace["episode_status"] == "prepare").sum() == 1
    completed = [lap for lap in data["laps"] if lap["lap_time"] is not None]
    assert data["completed_laps"] == len(completed)
    assert all(lap["progress"] == 100.0 for lap in completed)
