"""`deepracer analyze`: the workshop's log-analysis charts from a model folder (pandas + matplotlib).

Reads the sim-trace CSVs the way deepracer-utils does (one row per step, `iteration` from the file
name) and writes PNGs into <model>/analysis/:
  reward.png    total reward per episode, with the mean per iteration
  progress.png  average progress per iteration, with every episode as a dot (the workshop chart)
  track.png     the fastest complete laps (training and evaluation) drawn on the track
It also reports the best checkpoint and which episodes completed laps.

Iterations are numbered from 1 as `deepracer train` prints them: iteration N is the data of
training-simtrace/<N-1>-iteration.csv, and its PPO update produced checkpoint N_Step-*.ckpt.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from deepracer_agent.model.folder import ModelError, ModelFolder
from deepracer_common.atomic import write_bytes_atomic
from deepracer_common.race import DEFAULT_TRACK

ITERATION_FILE = re.compile(r"^(\d+)-iteration\.csv$")


def load_simtrace(folder: ModelFolder) -> pd.DataFrame:
    """All training sim-trace rows with an `iteration` column, counted from 1 (empty frame when none exist)."""
    frames = []
    for path in sorted(folder.simtrace_dir.glob("*-iteration.csv")) if folder.simtrace_dir.is_dir() else []:
        match = ITERATION_FILE.match(path.name)
        if not match:
            continue
        frame = pd.read_csv(path)
        frame["iteration"] = int(match.group(1)) + 1
        frames.append(frame)
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True).sort_values(["episode", "steps"]).reset_index(drop=True)


def load_evaluation_traces(folder: ModelFolder) -> pd.DataFrame:
    frames = []
    for run in folder.evaluation_runs():
        path = run / "evaluation-simtrace" / "0-iteration.csv"
        if path.is_file():
            frame = pd.read_csv(path)
            frame["stream"] = run.name
            frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def episode_summary(trace: pd.DataFrame) -> pd.DataFrame:
    """One row per episode: iteration, steps, total reward, final progress, time, completed lap."""
    if trace.empty:
        return pd.DataFrame(columns=["episode", "iteration", "steps", "reward", "progress", "time", "status", "complete"])
    grouped = trace.groupby("episode", sort=True)
    summary = pd.DataFrame({
        "iteration": grouped["iteration"].first(),
        "steps": grouped["steps"].max(),
        "reward": grouped["reward"].sum(),
        "progress": grouped["progress"].last().clip(lower=0.0),
        "time": grouped["tstamp"].max() - grouped["tstamp"].min(),
        "status": grouped["episode_status"].last(),
    }).reset_index()
    summary["complete"] = summary["status"] == "lap_complete"
    return summary


def _figure():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _save(figure, path: Path) -> None:
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    write_bytes_atomic(path, buffer.getvalue())


def plot_reward(summary: pd.DataFrame, path: Path, title: str) -> None:
    plt = _figure()
    figure, axes = plt.subplots(figsize=(9, 4.5))
    axes.plot(summary["episode"], summary["reward"], ".", alpha=0.45, label="episode total reward")
    per_iteration = summary.groupby("iteration").agg(episode=("episode", "mean"), reward=("reward", "mean"))
    axes.plot(per_iteration["episode"], per_iteration["reward"], "-o", color="tab:red", label="iteration mean")
    axes.set_xlabel("episode")
    axes.set_ylabel("total reward")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend()
    _save(figure, path)
    plt.close(figure)


def plot_progress(summary: pd.DataFrame, path: Path, title: str) -> None:
    plt = _figure()
    figure, axes = plt.subplots(figsize=(9, 4.5))
    axes.scatter(summary["iteration"], summary["progress"], s=12, alpha=0.4, label="episode progress")
    per_iteration = summary.groupby("iteration")["progress"].mean()
    axes.plot(per_iteration.index, per_iteration.values, "-o", color="tab:green", label="average progress")
    axes.set_xlabel("iteration")
    axes.set_ylabel("progress (%)")
    axes.set_ylim(-2, 102)
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend()
    _save(figure, path)
    plt.close(figure)


def best_laps(trace: pd.DataFrame, key: str, count: int) -> list[tuple[str, pd.DataFrame]]:
    """The `count` fastest complete laps (grouped by `key`): (label, rows) pairs."""
    if trace.empty:
        return []
    laps = []
    for name, rows in trace.groupby(key):
        if (rows["episode_status"] == "lap_complete").any():
            driving = rows[~rows["episode_status"].isin(["prepare"])]
            laps.append((float(driving["tstamp"].max() - rows["tstamp"].min()), name, rows))
    laps.sort(key=lambda item: item[0])
    return [(f"{key} {name}: {seconds:.2f} s", rows) for seconds, name, rows in laps[:count]]


def analyze(model: str, models_root: str | None = None, out_dir: str | None = None, best_count: int = 3) -> dict[str, Any]:
    folder = ModelFolder.resolve(model, models_root)
    out = Path(out_dir) if out_dir else folder.plots_dir
    trace = load_simtrace(folder)
    if trace.empty:
        raise ModelError(f"model {folder.name!r} has no training sim-trace in {folder.simtrace_dir} (train it first)")
    summary = episode_summary(trace)
    track_name = folder.training_config().get("track") or DEFAULT_TRACK
    plots = {}
    plots["reward"] = out / "reward.png"
    plot_reward(summary, plots["reward"], f"{folder.name}: reward per episode")
    plots["progress"] = out / "progress.png"
    plot_progress(summary, plots["progress"], f"{folder.name}: average progress per iteration")

    training_trace = trace.assign(lap=trace["episode"])
    laps = best_laps(training_trace, "episode", best_count)
    evaluation = load_evaluation_traces(folder)
    if not evaluation.empty:
        evaluation = evaluation.assign(lap=evaluation["stream"] + "/" + evaluation["episode"].astype(str))
        laps += [("evaluation " + label.split(" ", 1)[1], rows) for label, rows in best_laps(evaluation, "lap", best_count)]
    from deepracer_sim.plot import plot_track

    reverse = bool(folder.training_config().get("reverse", False))
    from deepracer_sim.tracks import load_track

    track = load_track(track_name, reverse=reverse)
    paths = {label: rows[["X", "Y"]].to_numpy() for label, rows in laps} or None
    plots["track"] = out / "track.png"
    figure = plot_track(track, paths, plots["track"],
                        title=f"{folder.name}: fastest complete laps on {track_name}" if paths else
                        f"{folder.name}: no complete lap yet on {track_name}")
    try:
        import matplotlib.pyplot as plt

        plt.close(figure)
    except Exception:
        pass

    record = folder.checkpoints_record()
    per_iteration = summary.groupby("iteration").agg(
        episodes=("episode", "count"), mean_reward=("reward", "mean"), mean_progress=("progress", "mean"),
        laps=("complete", "sum"))
    best_iteration = int(per_iteration["mean_progress"].idxmax())
    completed = summary[summary["complete"]]
    return {
        "model": folder.name,
        "plots": {name: str(path) for name, path in plots.items()},
        "iterations": int(per_iteration.shape[0]),
        "episodes": int(summary.shape[0]),
        "best_checkpoint": (record.get("best_checkpoint") or {}).get("name"),
        "best_checkpoint_metric": (record.get("best_checkpoint") or {}).get("avg_eval_metric"),
        "best_training_iteration": best_iteration,
        "best_training_iteration_progress": float(per_iteration.loc[best_iteration, "mean_progress"]),
        "completed_laps": [
            {"episode": int(row.episode), "iteration": int(row.iteration), "time": round(float(row.time), 3),
             "steps": int(row.steps)}
            for row in completed.itertuples()
        ],
        "per_iteration": [
            {"iteration": int(index), "episodes": int(row.episodes), "mean_reward": float(row.mean_reward),
             "mean_progress": float(row.mean_progress), "laps": int(row.laps)}
            for index, row in per_iteration.iterrows()
        ],
        "fastest_laps": [label for label, _ in laps],
    }


def print_report(report: dict) -> None:
    """The analysis report as `deepracer analyze` and the demo print it."""
    print(f"model {report['model']}: {report['iterations']} iterations, {report['episodes']} episodes")
    for line in report["per_iteration"]:
        print(f"  iteration {line['iteration']:>3}: mean reward {line['mean_reward']:8.2f}, "
              f"mean progress {line['mean_progress']:5.1f}%, laps {line['laps']}/{line['episodes']}")
    metric = report.get("best_checkpoint_metric")
    print(f"best checkpoint: {report['best_checkpoint']}"
          + (f" (evaluation metric {metric:.1f})" if isinstance(metric, (int, float)) else ""))
    print(f"best training iteration: {report['best_training_iteration']} "
          f"(mean progress {report['best_training_iteration_progress']:.1f}%)")
    laps = report["completed_laps"]
    if laps:
        shown = ", ".join(f"{lap['episode']} ({lap['time']:.2f} s)" for lap in laps[:20])
        more = f" and {len(laps) - 20} more" if len(laps) > 20 else ""
        print(f"episodes that completed a lap: {shown}{more}")
    else:
        print("no training episode completed a lap yet")
    for name, path in report["plots"].items():
        print(f"{name} plot: {path}")
