"""`deepracer raceline` on every shipped track and the four AWS routes: the line stays clear of the borders."""
import json

import numpy as np
import pytest
from deepracer_bringup.cli import main
from deepracer_sim.raceline import CAR_HALF_WIDTH, DEFAULT_MARGIN, read_racing_line
from deepracer_sim.tracks import list_tracks, load_track
from raceline_support import AWS_ROUTES, assert_on_the_road_with_margin, border_clearance


def run_raceline(capsys, *argv) -> dict:
    code = main(["raceline", *map(str, argv), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def check_track(capsys, tmp_path, track_argument, track):
    copy = tmp_path / "line.csv"
    summary = run_raceline(capsys, track_argument, "--out", copy)
    line = read_racing_line(summary["file"])
    assert read_racing_line(copy).fingerprint == line.fingerprint
    assert line.track == track.name and line.is_loop == track.is_loop
    assert assert_on_the_road_with_margin(track, line, DEFAULT_MARGIN) > CAR_HALF_WIDTH
    # Cornering on the inside of the curves, the line is shorter than the centre line.
    assert line.length < track.length + 1e-6
    assert summary["lap_time_s"] == pytest.approx(line.lap_time, abs=1e-3)
    assert summary["solve_seconds"] > 0
    return summary, line


@pytest.mark.parametrize("name", list_tracks())
def test_raceline_on_every_shipped_track(capsys, tmp_path, name):
    track = load_track(name)
    summary, line = check_track(capsys, tmp_path, name, track)
    if track.is_loop:
        assert summary["oracle"]["completed"], summary["oracle"]


@pytest.mark.parametrize("name", AWS_ROUTES)
def test_raceline_on_every_aws_route(capsys, tmp_path, shared_tracks, name):
    path = shared_tracks / f"{name}.npy"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    summary, line = check_track(capsys, tmp_path, path, load_track(path))
    assert summary["oracle"]["completed"], summary["oracle"]


def test_a_wider_margin_keeps_further_from_the_borders_and_is_slower(capsys, shared_tracks):
    track = load_track(shared_tracks / "reinvent_base.npy")
    tight = read_racing_line(run_raceline(capsys, track.source, "--margin", "0.0", "--no-oracle")["file"])
    wide = read_racing_line(run_raceline(capsys, track.source, "--margin", "0.12", "--no-oracle")["file"])
    assert_on_the_road_with_margin(track, tight, 0.0)
    assert_on_the_road_with_margin(track, wide, 0.12)
    assert border_clearance(track, wide.closed_xy()) > border_clearance(track, tight.closed_xy()) + 0.1
    assert wide.lap_time > tight.lap_time


def test_reversed_line_runs_the_other_way(capsys):
    forward = load_track("hairpin_technical")
    backward = load_track("hairpin_technical", reverse=True)
    summary = run_raceline(capsys, "hairpin_technical", "--reverse", "--no-oracle")
    line = read_racing_line(summary["file"])
    assert line.is_reversed and summary["direction"] == "reversed"
    assert "-reversed-" in summary["file"]
    assert_on_the_road_with_margin(backward, line, DEFAULT_MARGIN)
    # It starts at the start line and heads the way the reversed centre line does.
    heading = line.xy[5] - line.xy[0]
    assert np.dot(heading, backward.centre[1] - backward.centre[0]) > 0
    assert np.dot(heading, forward.centre[1] - forward.centre[0]) < 0


def test_plot_config_and_summary(capsys, tmp_path):
    plot = tmp_path / "line.png"
    config_path = tmp_path / "speed.json"
    code = main(["raceline", "crescent_loop", "--plot", str(plot), "--config-out", str(config_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert plot.stat().st_size > 10_000 and plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "oracle (pure pursuit on the line in the simulator, standing start): lap" in out
    assert "suggested action space" in out and "nearest console garage setting: deepracer train --max-steering-angle" in out
    # The config is one `deepracer train --config` takes: the suggested actions and the speed template.
    from deepracer_agent.training.config import TrainingConfig

    config = TrainingConfig.load(config_path)
    assert config.track == "crescent_loop" and config.reward_function == "template:speed_racing_line"
    assert config.vehicle.action_space.type == "discrete" and config.vehicle.action_space.n >= 5


@pytest.mark.parametrize("argv, message", [
    (["no_such_track"], "unknown track 'no_such_track'"),
    (["crescent_loop", "--margin", "0.4"], "has no room for a car that needs 0.498 m from each border"),
    (["crescent_loop", "--grip", "1.5"], "--grip must be in (0, 1]"),
])
def test_bad_input_is_one_clear_line(capsys, racing_line_folder, argv, message):
    assert main(["raceline", *argv]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not racing_line_folder.exists() or not any(racing_line_folder.iterdir())
