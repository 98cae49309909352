"""Racing-line files and how a reward function finds the line of the track it is on."""
from dataclasses import astuple

import numpy as np
import pandas as pd
import pytest

from deepracer_sim.race.params import reward_params
from deepracer_sim.raceline import (
    RacingLineFileError,
    compute_racing_line,
    racing_line_for_params,
    read_racing_line,
    write_racing_line,
)
from deepracer_sim.raceline.store import COLUMNS
from deepracer_sim.raceline.store import racing_line_folder as racing_line_folder_now
from deepracer_sim.tracks import load_track, save_route
from raceline_support import assert_on_the_road_with_margin


def params_on(track, arc=1.0, reverse=False):
    directed = track.directed(reverse)
    x, y = directed.point_at(arc)
    return reward_params(track, x, y, np.degrees(directed.heading_at(arc)), speed=2.0, reverse=reverse)


def test_file_round_trip_and_readable_by_pandas(tmp_path):
    line = compute_racing_line(load_track("crescent_loop"))
    path = write_racing_line(line, tmp_path / "crescent.csv")
    again = read_racing_line(path)
    for name in ("xy", "arc", "curvature", "speed", "time"):
        np.testing.assert_allclose(getattr(again, name), getattr(line, name), atol=1e-6)
    assert (again.track, again.fingerprint, again.is_loop, again.is_reversed) == \
        (line.track, line.fingerprint, True, False)
    assert again.length == pytest.approx(line.length, abs=1e-6)
    assert again.lap_time == pytest.approx(line.lap_time, abs=1e-4)
    assert astuple(again.limits) == pytest.approx(astuple(line.limits), abs=1e-6)
    table = pd.read_csv(path, comment="#")
    assert tuple(table.columns) == COLUMNS
    # A loop's closing row repeats the first point at the full length and lap time.
    assert len(table) == len(line.xy) + 1
    assert table["x_m"].iloc[-1] == table["x_m"].iloc[0] and table["arc_m"].iloc[-1] == pytest.approx(line.length)
    assert table["time_s"].iloc[-1] == pytest.approx(line.lap_time, abs=1e-4)


@pytest.mark.parametrize("content, message", [
    ("x,y\n1,2\n", "not a racing-line file"),
    ("# deepracer racing line\n# track: t\narc_m,x_m\n", "must be the column names"),
    ("# deepracer racing line\n# track: t\n" + ",".join(COLUMNS) + "\n0,0,0,0,1,0\n1,1,0,0,1,1\n", "at least 3 rows"),
    ("# deepracer racing line\n# track: t\n" + ",".join(COLUMNS) + "\n0,0,0,0,1,0\n1,1,0,0,1\n2,2,0,0,1,2\n",
     "not 6 numbers"),
])
def test_bad_files_name_the_file_and_the_problem(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(RacingLineFileError, match=message) as error:
        read_racing_line(path)
    assert str(path) in str(error.value)
    with pytest.raises(RacingLineFileError, match="no such racing-line file"):
        read_racing_line(tmp_path / "missing.csv")


def test_reward_finds_the_line_deepracer_raceline_wrote(racing_line_folder):
    track = load_track("crescent_loop")
    written = compute_racing_line(track, margin=0.09)
    path = write_racing_line(written)
    assert path.parent == racing_line_folder == racing_line_folder_now()
    found = racing_line_for_params(params_on(track))
    assert found.margin == pytest.approx(0.09) and found.fingerprint == written.fingerprint
    # Remembered for the process: later steps do not read the file again.
    path.unlink()
    assert racing_line_for_params(params_on(track, arc=5.0)) is found


def test_reward_computes_the_line_of_a_shipped_track_in_each_direction(racing_line_folder):
    track = load_track("hairpin_technical")
    forward = racing_line_for_params(params_on(track))
    backward = racing_line_for_params(params_on(track, reverse=True))
    assert not forward.is_reversed and backward.is_reversed
    assert forward.fingerprint != backward.fingerprint
    assert_on_the_road_with_margin(track, forward, forward.margin)
    assert_on_the_road_with_margin(track.reversed(), backward, backward.margin)
    assert not racing_line_folder.exists()  # a reward function only reads the folder


def test_reward_finds_a_route_in_the_tracks_path(tmp_path, monkeypatch, shared_tracks):
    folder = tmp_path / "routes"
    track = load_track(shared_tracks / "Bowtie_track.npy")
    save_route(folder / "bowtie_copy.npy", track)
    monkeypatch.setenv("DEEPRACER_TRACKS_PATH", str(folder))
    line = racing_line_for_params(params_on(track))
    # Computed between the real borders (the route is 0.61 to 1.19 m wide), not from the mean width.
    assert line.track == "bowtie_copy"
    assert_on_the_road_with_margin(track, line, line.margin)


def test_reward_on_an_unknown_route_uses_the_waypoints_and_says_so(tmp_path, capsys):
    # A route no folder knows: a crescent_loop shifted 10 m.
    route = load_track("crescent_loop").route.copy()
    route[:, 0::2] += 10.0
    save_route(tmp_path / "elsewhere.npy", route)
    track = load_track(tmp_path / "elsewhere.npy")
    line = racing_line_for_params(params_on(track))
    assert "no racing line written for this track" in capsys.readouterr().err
    # crescent_loop is as wide everywhere as its mean width: the line is the real one.
    assert_on_the_road_with_margin(track, line, line.margin - 0.002)
    reference = compute_racing_line(load_track("crescent_loop"))
    assert line.lap_time == pytest.approx(reference.lap_time, rel=0.01)
