"""Racing-line files, where they live, and how a reward function finds the line of its track.

The file (CSV, one point per row, a loop closed by repeating its first point with arc = length):

    # deepracer racing line
    # track: crescent_loop
    # direction: forward
    # centre_fingerprint: 3f0c9a1d2b7e4c55
    # loop: true
    # margin_m: 0.05
    # ... (the other settings and the lap-time estimates, `key: value`)
    arc_m,x_m,y_m,curvature_1_m,speed_m_s,time_s
    0.000000,0.021434,-0.121512,0.301120,3.054216,0.000000
    ...

`pandas.read_csv(path, comment="#")` or `numpy.genfromtxt(path, delimiter=",", names=True)` read it.
x, y are where the car's centre (base_link, midway between the axles) should be, in the route's
metres; curvature is positive turning left; speed is the profile speed, time the time from the first
point at those speeds.

Where: `deepracer raceline` always writes the line into the racing-line folder,
$DEEPRACER_RACELINES or ~/.cache/deepracer/racelines, named
<track>[-reversed]-<centre fingerprint>.csv. One folder, because a shipped track's data folder may
be read-only and a reward function, which gets only the params dict, cannot know where a route file
came from; the fingerprint of the centre line (the params' `waypoints`, in driving order) names the
file, so the reward finds the line for whatever track and direction it is trained on, and a route
edited since no longer matches its old line. `--out` writes another copy wherever the user wants it.
"""
from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import numpy as np

from deepracer_common.atomic import write_text_atomic
from deepracer_sim.raceline.line import RacingLine, centre_fingerprint, compute_racing_line
from deepracer_sim.raceline.speed import SpeedLimits

FOLDER_ENV = "DEEPRACER_RACELINES"
COLUMNS = ("arc_m", "x_m", "y_m", "curvature_1_m", "speed_m_s", "time_s")
MAGIC = "# deepracer racing line"


class RacingLineFileError(ValueError):
    """A racing-line file is missing or not in the format above; the message names the file."""


def racing_line_folder() -> Path:
    return Path(os.environ.get(FOLDER_ENV) or Path.home() / ".cache" / "deepracer" / "racelines")


def racing_line_filename(track_name: str, is_reversed: bool, fingerprint: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in track_name) or "track"
    return f"{safe}{'-reversed' if is_reversed else ''}-{fingerprint}.csv"


def default_path(line: RacingLine) -> Path:
    return racing_line_folder() / racing_line_filename(line.track, line.is_reversed, line.fingerprint)


def format_racing_line(line: RacingLine) -> str:
    header = {
        "track": line.track,
        "source": line.source,
        "direction": "reversed" if line.is_reversed else "forward",
        "centre_fingerprint": line.fingerprint,
        "loop": "true" if line.is_loop else "false",
        "length_m": f"{line.length:.6f}",
        "margin_m": f"{line.margin:.6f}",
        "clearance_m": f"{line.clearance:.6f}",
        "lateral_acceleration_m_s2": f"{line.limits.lateral_acceleration:.6f}",
        "acceleration_m_s2": f"{line.limits.acceleration:.6f}",
        "braking_m_s2": f"{line.limits.braking:.6f}",
        "max_speed_m_s": f"{line.limits.max_speed:.6f}",
        "min_speed_m_s": f"{line.limits.min_speed:.6f}",
        "lap_time_s": f"{line.lap_time:.4f}",
        "standing_lap_time_s": f"{line.standing_lap_time:.4f}",
        "friction_limit_lap_time_s": f"{line.friction_limit_lap_time:.4f}",
    }
    lines = [MAGIC] + [f"# {key}: {value}" for key, value in header.items()] + [",".join(COLUMNS)]
    time = np.append(line.time, line.lap_time) if line.is_loop else line.time
    table = np.column_stack((line.closed_arc(), line.closed_xy(), line.closed(line.curvature), line.closed(line.speed), time))
    lines += [",".join(f"{value:.6f}" for value in row) for row in table]
    return "\n".join(lines) + "\n"


def write_racing_line(line: RacingLine, path: str | os.PathLike | None = None) -> Path:
    """Write the line atomically to `path` (default: the racing-line folder); returns the path."""
    path = Path(path) if path is not None else default_path(line)
    write_text_atomic(path, format_racing_line(line))
    return path


def read_racing_line(path: str | os.PathLike) -> RacingLine:
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise RacingLineFileError(f"{path}: no such racing-line file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise RacingLineFileError(f"{path}: cannot read the racing line ({error})") from None
    rows = text.splitlines()
    if not rows or rows[0].strip() != MAGIC:
        raise RacingLineFileError(f"{path}: not a racing-line file (the first line must be {MAGIC!r})")
    header: dict[str, str] = {}
    index = 1
    while index < len(rows) and rows[index].startswith("#"):
        key, _, value = rows[index][1:].partition(":")
        header[key.strip()] = value.strip()
        index += 1
    if index >= len(rows) or tuple(rows[index].strip().split(",")) != COLUMNS:
        raise RacingLineFileError(f"{path}: line {index + 1} must be the column names {','.join(COLUMNS)}")
    try:
        table = np.loadtxt(rows[index + 1:], delimiter=",", ndmin=2)
    except ValueError as error:
        raise RacingLineFileError(f"{path}: a data row is not {len(COLUMNS)} numbers ({error})") from None
    if table.shape[1] != len(COLUMNS) or len(table) < 3 or not np.all(np.isfinite(table)):
        raise RacingLineFileError(f"{path}: needs at least 3 rows of {len(COLUMNS)} finite numbers")

    def number(key: str) -> float:
        try:
            value = float(header[key])
        except (KeyError, ValueError):
            raise RacingLineFileError(f"{path}: the header needs a numeric '{key}'") from None
        if not math.isfinite(value):
            raise RacingLineFileError(f"{path}: '{key}' must be finite, got {header[key]}")
        return value

    for key in ("track", "direction", "centre_fingerprint", "loop"):
        if key not in header:
            raise RacingLineFileError(f"{path}: the header needs '{key}'")
    loop = header["loop"] == "true"
    arc, xy, curvature, speed, time = table[:, 0], table[:, 1:3], table[:, 3], table[:, 4], table[:, 5]
    if np.any(np.diff(arc) <= 0):
        raise RacingLineFileError(f"{path}: arc_m must increase from row to row")
    count = len(table) - 1 if loop else len(table)
    try:
        limits = SpeedLimits(number("lateral_acceleration_m_s2"), number("acceleration_m_s2"),
                             number("braking_m_s2"), number("max_speed_m_s"), number("min_speed_m_s"))
    except ValueError as error:
        raise RacingLineFileError(f"{path}: {error}") from None
    return RacingLine(
        track=header["track"],
        is_reversed=header["direction"] == "reversed",
        is_loop=loop,
        fingerprint=header["centre_fingerprint"],
        margin=number("margin_m"),
        xy=xy[:count].copy(),
        arc=arc[:count].copy(),
        curvature=curvature[:count].copy(),
        speed=speed[:count].copy(),
        time=time[:count].copy(),
        length=float(arc[-1]) if loop else float(arc[count - 1]),
        lap_time=number("lap_time_s"),
        standing_lap_time=number("standing_lap_time_s"),
        limits=limits,
        friction_limit_lap_time=number("friction_limit_lap_time_s"),
        source=header.get("source", ""),
    )


# --------------------------------------------------------------------- the line for a reward function
_LINES: dict[tuple, RacingLine] = {}


def racing_line_for_params(params: dict) -> RacingLine:
    """The racing line of the track and direction a params dict comes from.

    Looked up once per track and direction in a process, in this order: a line `deepracer raceline`
    wrote to the racing-line folder for this centre line (the user's margin and grip); else the line
    computed from the route file the centre line comes from, if it is a shipped track or one in
    $DEEPRACER_TRACKS_PATH; else the line computed from the waypoints alone, with borders half the
    track width either side (a note on stderr says so).
    """
    waypoints = params["waypoints"]
    count = len(waypoints)
    # A cheap key for the memo; the full fingerprint is computed once per key.
    key = (count, tuple(waypoints[0]), tuple(waypoints[count // 3]), tuple(waypoints[(2 * count) // 3]))
    line = _LINES.get(key)
    if line is None:
        line = _find_or_compute(waypoints, float(params["track_width"]))
        _LINES[key] = line
    return line


def _find_or_compute(waypoints, track_width: float) -> RacingLine:
    fingerprint = centre_fingerprint(waypoints)
    written = sorted(racing_line_folder().glob(f"*-{fingerprint}.csv"), key=lambda p: p.stat().st_mtime)
    for path in reversed(written):
        try:
            return read_racing_line(path)
        except RacingLineFileError as error:
            print(f"deepracer raceline: ignoring {error}", file=sys.stderr)
    track = known_track_with_centre(fingerprint)
    if track is None:
        track = track_from_waypoints(waypoints, track_width)
        print(
            f"deepracer raceline: no racing line written for this track (centre fingerprint {fingerprint}); "
            "using borders half the track width either side of the waypoints "
            "(run `deepracer raceline TRACK` for the line between the real borders)",
            file=sys.stderr,
        )
    line = compute_racing_line(track)
    line.fingerprint = fingerprint
    return line


def known_track_with_centre(fingerprint: str):
    """The shipped or $DEEPRACER_TRACKS_PATH track (either direction) whose centre line has this fingerprint."""
    from deepracer_sim.tracks import TrackError, list_tracks, load_track
    from deepracer_sim.tracks.track import TRACKS_PATH_ENV

    candidates: list[str | Path] = list(list_tracks())
    for folder in filter(None, os.environ.get(TRACKS_PATH_ENV, "").split(os.pathsep)):
        candidates += sorted(Path(folder).glob("*.npy"))
    for candidate in candidates:
        try:
            track = load_track(candidate)
        except TrackError:
            continue
        for directed in (track, track.reversed()):
            if centre_fingerprint(directed.centre) == fingerprint:
                return directed
    return None


def track_from_waypoints(waypoints, track_width: float):
    """A Track whose borders are half the track width either side of the waypoints (driving order).

    The road is the centre line buffered by half the width (shapely), which stays a clean polygon where
    the waypoints have sharp corners (offsetting each point along its normal would fold the inner border
    there); each border row is the road edge nearest to the point half a width out along the normal.
    """
    import shapely
    from shapely.geometry import LinearRing, LineString

    from deepracer_sim.raceline.optimise import distinct_points
    from deepracer_sim.tracks.track import Track, route_from_lines

    centre = np.asarray(waypoints, dtype=np.float64)
    loop = bool(np.array_equal(centre[0], centre[-1]))
    distinct = distinct_points(centre, loop)
    chain = np.vstack((distinct, distinct[:1])) if loop else distinct
    half = 0.5 * track_width
    road = (LinearRing(distinct) if loop else LineString(distinct)).buffer(half, cap_style="flat", quad_segs=16)
    edge = road.boundary
    tangent = np.gradient(chain, axis=0)
    if loop:  # the closing vertex is the first one: its neighbours are the last and the second points
        tangent[0] = tangent[-1] = chain[1] - chain[-2]
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    normal = np.column_stack((-tangent[:, 1], tangent[:, 0]))

    def border(side: float) -> np.ndarray:
        guesses = shapely.points(chain + side * half * normal)
        nearest = shapely.shortest_line(guesses, edge)
        return shapely.get_coordinates(shapely.get_point(nearest, 1))

    left, right = border(1.0), border(-1.0)
    if loop and shapely.Polygon(left).area > shapely.Polygon(right).area:
        # Driven clockwise the left border is the outer one; a route lists the inner border first.
        left, right = right, left
    route = route_from_lines(chain, left, right)
    return Track(route, name="waypoints", source="the params' waypoints")
