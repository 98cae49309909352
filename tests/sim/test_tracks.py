"""Tracks: real AWS route files, our shipped designs, the random generator, bad files, fast geometry."""
import math
import subprocess
import sys

import numpy as np
import pytest
from shapely.geometry import LinearRing, LineString, Point, Polygon

from deepracer_sim.tracks import (
    DATA_DIR,
    Track,
    TrackError,
    list_tracks,
    load_track,
    random_track,
    save_route,
)

REAL_TRACKS = {  # rows, centre length, mean width, computed from the route files
    "reinvent_base": (119, 17.709, 0.762),
    "Bowtie_track": (163, 17.428, 0.789),
    "Oval_track": (102, 19.550, 0.710),
    "reInvent2019_track": (155, 23.118, 1.067),
}


def test_reinvent_base_has_the_spec_figures(reinvent):
    assert len(reinvent.route) == 119
    assert reinvent.length == pytest.approx(17.709, abs=5e-4)
    assert reinvent.width == pytest.approx(0.762, abs=5e-4)
    assert reinvent.is_ccw and reinvent.is_loop and not reinvent.is_reversed
    assert len(reinvent.waypoints) == 119
    assert reinvent.waypoints[0] == reinvent.waypoints[-1]
    assert reinvent.waypoints[0] == pytest.approx((3.060, 0.683), abs=5e-4)
    # The simtrace's track_len of the AWS sample logs.
    assert reinvent.length == pytest.approx(17.709159380834848, abs=1e-9)


@pytest.mark.parametrize("name", sorted(REAL_TRACKS))
def test_every_real_route_file_loads(shared_tracks, name):
    rows, length, width = REAL_TRACKS[name]
    track = load_track(shared_tracks / f"{name}.npy")
    assert track.name == name
    assert len(track.route) == rows
    assert track.length == pytest.approx(length, abs=5e-4)
    assert track.width == pytest.approx(width, abs=5e-4)
    assert track.is_loop and track.is_ccw
    # Our arc-length arrays agree with shapely's length.
    assert track.length == pytest.approx(LinearRing(track.centre).length, abs=1e-9)


def test_reversing_reverses_every_line_and_the_orientation(reinvent):
    back = load_track(reinvent.source, reverse=True)
    assert back.is_reversed and not back.is_ccw
    assert back.length == pytest.approx(reinvent.length)
    np.testing.assert_array_equal(back.centre, reinvent.centre[::-1])
    np.testing.assert_array_equal(back.inner, reinvent.inner[::-1])
    np.testing.assert_array_equal(back.outer, reinvent.outer[::-1])
    assert back.waypoints == reinvent.waypoints[::-1]
    assert back.waypoints[0] == reinvent.waypoints[0]  # the start/finish point stays index 0
    assert back is reinvent.reversed() and back.reversed() is reinvent  # one object per direction
    assert reinvent.directed(False) is reinvent


def test_shipped_tracks_are_our_designs_with_the_promised_shapes():
    assert list_tracks() == ["beginner_oval", "crescent_loop", "hairpin_technical", "straight"]
    crescent = load_track("crescent_loop")
    assert crescent.length == pytest.approx(17.7, abs=0.01)
    assert crescent.width == pytest.approx(0.762, abs=1e-6)
    assert crescent.is_loop and crescent.is_ccw
    oval = load_track("beginner_oval")
    assert oval.is_loop and oval.width > 1.0
    assert not load_track("straight").is_loop
    radii = {name: _min_turn_radius(load_track(name)) for name in ("beginner_oval", "crescent_loop",
                                                                     "hairpin_technical")}
    assert radii["hairpin_technical"] < 0.6  # the hairpin
    assert radii["beginner_oval"] > 1.2  # gentle
    # The crescent has a right-hand bend: its centre line turns both ways.
    assert _turn_signs(crescent) == {-1, 1}


def _turn_radii(track):
    a, b, c = track.centre[:-2], track.centre[1:-1], track.centre[2:]
    ab, bc, ca = (np.linalg.norm(b - a, axis=1), np.linalg.norm(c - b, axis=1), np.linalg.norm(a - c, axis=1))
    cross = (b - a)[:, 0] * (c - a)[:, 1] - (b - a)[:, 1] * (c - a)[:, 0]
    with np.errstate(divide="ignore"):
        return ab * bc * ca / (2.0 * cross)  # signed: + left


def _min_turn_radius(track):
    return float(np.min(np.abs(_turn_radii(track))))


def _turn_signs(track):
    radii = _turn_radii(track)
    return {int(np.sign(r)) for r in radii if np.isfinite(r) and abs(r) < 3.0}


def test_shipped_files_are_reproducible_from_the_script(repo_root):
    result = subprocess.run([sys.executable, str(repo_root / "scripts" / "make_tracks.py"), "--check"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_random_tracks_are_valid_and_repeatable():
    first = random_track(7)
    again = random_track(7)
    other = random_track(8)
    np.testing.assert_array_equal(first.route, again.route)
    assert not np.array_equal(first.route[:10], other.route[:10])
    for seed in range(12):
        track = random_track(seed)
        assert track.is_loop and track.is_ccw
        assert 15.0 <= track.length <= 30.5
        assert track.road_polygon.is_valid
        assert LineString(track.inner).is_simple and LineString(track.outer).is_simple
    sized = random_track(3, length=20.0, width=1.0)
    assert sized.length == pytest.approx(20.0, rel=0.01)
    assert sized.width == pytest.approx(1.0)
    with pytest.raises(TrackError, match="seed must be an integer"):
        random_track("x")


def _write(tmp_path, name, array):
    path = tmp_path / name
    np.save(path, array)
    return path


def _square_route(n=40, side=4.0, width=0.6):
    """A closed square-ish loop route with exact borders."""
    t = np.linspace(0.0, 2 * np.pi, n + 1)
    centre = np.column_stack((2.0 * np.cos(t), 2.0 * np.sin(t)))
    normal = centre / 2.0
    route = np.hstack((centre, centre - normal * width / 2, centre + normal * width / 2))
    route[-1] = route[0]
    return route


def test_bad_route_files_get_a_clear_error(tmp_path):
    good = _square_route()
    Track(good)  # the fixture itself is valid
    cases = {
        "shape.npy": (good[:, :4], r"shape.npy: a route must be an \(N, 6\) array .* got shape \(41, 4\)"),
        "nan.npy": (np.where(np.arange(good.size).reshape(good.shape) == 50, np.nan, good),
                    r"nan.npy: row 8, column 2 is nan"),
        "inf.npy": (np.where(np.arange(good.size).reshape(good.shape) == 7, np.inf, good), r"inf.npy: row 1, column 1"),
        "short.npy": (good[[0, 10, 0]], r"short.npy: a track needs at least 3 distinct centre points, got 2"),
    }
    figure_eight = np.linspace(0, 2 * np.pi, 61)
    centre = np.column_stack((np.sin(2 * figure_eight) * 2, np.sin(figure_eight) * 2))
    crossing = np.hstack((centre, centre + [0.0, 0.3], centre - [0.0, 0.3]))
    crossing[-1] = crossing[0]
    cases["eight.npy"] = (crossing, r"eight.npy: the centre line crosses itself near \(-?0.000, -?0.000\) \(segments 30 and 59\)")
    swapped = good.copy()
    swapped[5:9, 2:4] = swapped[5:9, 4:6]  # the inner border jumps to the other side for a few rows
    cases["border.npy"] = (swapped, r"border.npy: the inner border crosses the centre line near")
    for name, (array, message) in cases.items():
        with pytest.raises(TrackError, match=message):
            load_track(_write(tmp_path, name, array))
    (tmp_path / "text.npy").write_text("not numpy")
    with pytest.raises(TrackError, match="text.npy: not a NumPy .npy route file"):
        load_track(tmp_path / "text.npy")
    with pytest.raises(TrackError, match="must hold numbers"):
        Track(np.array([["a"] * 6] * 5))
    with pytest.raises(TrackError, match="unknown track 'no_such_track'"):
        load_track("no_such_track")
    with pytest.raises(TrackError, match="missing.npy"):
        load_track(tmp_path / "missing.npy")


def test_save_route_is_atomic_and_round_trips(tmp_path, reinvent):
    path = save_route(tmp_path / "sub" / "copy.npy", reinvent)
    np.testing.assert_array_equal(np.load(path), reinvent.route)
    assert [p.name for p in path.parent.iterdir()] == ["copy.npy"]
    with pytest.raises(TrackError):
        save_route(tmp_path / "sub" / "copy.npy", np.zeros((3, 5)))
    np.testing.assert_array_equal(np.load(path), reinvent.route)  # the old file is untouched
    assert [p.name for p in path.parent.iterdir()] == ["copy.npy"]
    # A Track saved after reversing is still stored in file order.
    save_route(tmp_path / "rev.npy", reinvent.reversed())
    np.testing.assert_array_equal(np.load(tmp_path / "rev.npy"), reinvent.route)


def test_tracks_path_env_finds_route_files_by_name(shared_tracks, monkeypatch):
    monkeypatch.setenv("DEEPRACER_TRACKS_PATH", str(shared_tracks))
    assert load_track("Oval_track").length == pytest.approx(19.550, abs=5e-4)


@pytest.mark.parametrize("name,reverse", [("reinvent", False), ("reinvent", True), ("straight", False),
                                          ("hairpin_technical", True)])
def test_fast_geometry_matches_shapely(reinvent, rng, name, reverse):
    track = (reinvent if name == "reinvent" else load_track(name)).directed(reverse)
    low = track.route.reshape(-1, 2).min(axis=0) - 0.5
    high = track.route.reshape(-1, 2).max(axis=0) + 0.5
    points = rng.uniform(low, high, size=(3000, 2))
    line = LinearRing(track.centre) if track.is_loop else LineString(track.centre)
    arcs, distances, nearest = track.project_many(points)
    expected_arc = np.array([line.project(Point(p)) for p in points])
    expected_distance = np.array([line.distance(Point(p)) for p in points])
    np.testing.assert_allclose(distances, expected_distance, atol=1e-9)
    # Where two parts of the line are equally near the arc length is ambiguous; elsewhere it must agree.
    agree = np.isclose(arcs, expected_arc, atol=1e-7)
    assert agree.mean() > 0.999
    interpolated = np.array([line.interpolate(a).coords[0] for a in arcs])
    np.testing.assert_allclose(interpolated, nearest, atol=1e-7)
    road = track.road_polygon
    inner_half = Polygon(track.centre, [track.inner]) if track.is_loop else \
        Polygon(np.vstack((track.centre, track.inner[::-1])))
    near_edge = np.array([road.exterior.distance(Point(p)) < 1e-7 or
                          any(r.distance(Point(p)) < 1e-7 for r in road.interiors) for p in points])
    expected_on_road = np.array([road.contains(Point(p)) for p in points])
    assert 0.2 < expected_on_road.mean() < 0.8  # the sample really tests both answers
    np.testing.assert_array_equal(track.on_road(points)[~near_edge], expected_on_road[~near_edge])
    np.testing.assert_array_equal(track.in_inner_half(points),
                                  np.array([inner_half.contains(Point(p)) for p in points]))


def test_closest_waypoints_are_by_arc_length(reinvent):
    n = len(reinvent.waypoints)
    assert reinvent.closest_waypoints(0.0) == [0, 1]
    assert reinvent.closest_waypoints(reinvent.ndists[5] + 1e-6) == [5, 6]
    assert reinvent.closest_waypoints(reinvent.ndists[5]) == [5, 6]
    assert reinvent.closest_waypoints(0.9999999) == [n - 2, n - 1]
    assert reinvent.closest_waypoints(1.0) == [n - 1, 0]


def test_heading_and_points_along_the_centre_line(reinvent):
    x, y = reinvent.point_at(0.0)
    assert (x, y) == pytest.approx(reinvent.waypoints[0])
    first, second = np.array(reinvent.waypoints[0]), np.array(reinvent.waypoints[1])
    expected = math.atan2(*(second - first)[::-1])
    assert reinvent.heading_at(0.0) == pytest.approx(expected)
    np.testing.assert_allclose(reinvent.point_at(reinvent.length + 1.0), reinvent.point_at(1.0))
    with pytest.raises(ValueError, match="unknown track line"):
        reinvent.line("middle")


def test_data_dir_holds_only_npy_routes():
    assert sorted(p.suffix for p in DATA_DIR.iterdir() if p.is_file()) == [".npy"] * 4
