"""kill -9 during training, then `deepracer train --resume`: continues from the last complete iteration."""
import json
import os
import re
import signal
import subprocess
import sys
import time

import pandas as pd
import torch
from conftest import cli_env, tiny_config, write_json


def _start(command, env):
    return subprocess.Popen([sys.executable, "-m", "deepracer_bringup", *command], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)


def _wait_for_line(process, pattern, timeout):
    deadline = time.monotonic() + timeout
    lines = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if re.search(pattern, line):
            return lines
    raise AssertionError(f"no line matching {pattern!r} within {timeout} s; output:\n{''.join(lines)}")


def test_kill_9_then_resume_continues_from_the_last_complete_iteration(tmp_path):
    models = tmp_path / "models"
    config = tmp_path / "tiny.json"
    write_json(config, tiny_config("killed", stop={"max_iterations": 3}, training={"eval_episodes": 1}))
    env = cli_env(models)
    process = _start(["train", "--config", str(config), "--no-progress"], env)
    try:
        _wait_for_line(process, r"^iteration +1 \|", timeout=600)
        time.sleep(0.5)  # into iteration 2: collecting, updating or writing
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    folder = models / "killed"
    state = torch.load(folder / "model" / "training_state.pt", map_location="cpu", weights_only=True)
    committed = state["iteration"]
    assert committed in (1, 2)

    resumed = subprocess.run([sys.executable, "-m", "deepracer_bringup", "train", "--resume", "--model", "killed",
                              "--no-progress"], capture_output=True, text=True, env=env, timeout=900)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"resuming 'killed' after iteration {committed}" in resumed.stdout
    assert "stopped: 3 iterations reached" in resumed.stdout

    # Every file parses; each iteration and episode appears exactly once.
    assert sorted(p.name for p in (folder / "training-simtrace").iterdir()) == [
        "0-iteration.csv", "1-iteration.csv", "2-iteration.csv"]
    trace = pd.concat([pd.read_csv(p) for p in sorted((folder / "training-simtrace").glob("*.csv"))])
    assert sorted(trace["episode"].unique()) == list(range(12))
    assert trace.groupby("episode")["done"].sum().eq(1).all()
    metrics = json.loads((folder / "metrics" / "TrainingMetrics.json").read_text())["metrics"]
    assert [m["episode"] for m in metrics if m["phase"] == "training"] == list(range(1, 13))
    assert len([m for m in metrics if m["phase"] == "evaluation"]) == 3
    record = json.loads((folder / "model" / "deepracer_checkpoints.json").read_text())
    assert record["last_checkpoint"]["name"].startswith("3_Step-")
    for checkpoint in (folder / "model").glob("*.ckpt"):
        payload = torch.load(checkpoint, map_location="cpu", weights_only=True)
        assert payload["name"] == checkpoint.name
    numbers = sorted(int(p.name.split("_")[0]) for p in (folder / "model").glob("*.ckpt"))
    assert numbers == [0, 1, 2, 3]
    steps = [int(p.name.split("-")[1].split(".")[0]) for p in sorted((folder / "model").glob("*.ckpt"),
                                                                        key=lambda p: int(p.name.split("_")[0]))]
    assert steps == sorted(steps) and steps[-1] == len(trace)
    assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]
    json.loads((folder / "model" / "model_metadata.json").read_text())
