"""Race tracks in the AWS DeepRacer route format.

A route file is a float64 NumPy array of shape (N, 6): centre x, y, inner
border x, y, outer border x, y, in metres (docs/deepracer-semantics.md#tracks). The track is a closed loop
when the first row equals the last one. A `Track` is one route driven in one
direction: reversing the direction reverses the point order of every line,
so `centre[0]` is always where the lap starts and the arrays always run in
the direction of travel.

Shapely checks a route once when it is loaded; everything asked per step
(projection, nearest border points, "is this wheel on the road") runs on plain
arrays through the numba kernels of `deepracer_sim.tracks.geometry`.
"""
from __future__ import annotations

import bisect
import math
import os
from functools import cached_property
from pathlib import Path
from typing import Sequence

import numpy as np

from deepracer_common.atomic import write_with_atomic
from deepracer_sim.tracks import geometry

DATA_DIR = Path(__file__).resolve().parent / "data"
# Extra folders (os.pathsep-separated) searched for <name>.npy after the shipped tracks,
# so users can train on route files they own (for example the AWS ones) by name.
TRACKS_PATH_ENV = "DEEPRACER_TRACKS_PATH"


class TrackError(ValueError):
    """A route file or route array is not a usable track; the message names the source and the problem."""


class Track:
    """One route driven in one direction.

    Attributes used per step are plain float64 arrays; the per-step methods
    call numba kernels and never shapely.
    """

    def __init__(self, route: np.ndarray, name: str = "custom", reverse: bool = False, source: str | None = None):
        self.source = source or name
        self.route = validate_route(route, self.source)
        self.name = name
        self.is_reversed = bool(reverse)
        self.is_loop = bool(np.array_equal(self.route[0], self.route[-1]))
        rows = self.route[::-1] if self.is_reversed else self.route
        self.centre = np.ascontiguousarray(rows[:, 0:2])
        self.inner = np.ascontiguousarray(rows[:, 2:4])
        self.outer = np.ascontiguousarray(rows[:, 4:6])
        self.inner_lane = np.ascontiguousarray((self.inner + self.centre) / 2.0)
        self.outer_lane = np.ascontiguousarray((self.outer + self.centre) / 2.0)
        self.centre_cum = geometry.cumulative_length(self.centre)
        self.inner_cum = geometry.cumulative_length(self.inner)
        self.outer_cum = geometry.cumulative_length(self.outer)
        self.inner_lane_cum = geometry.cumulative_length(self.inner_lane)
        self.outer_lane_cum = geometry.cumulative_length(self.outer_lane)
        self.length = float(self.centre_cum[-1])
        self.width = float(np.mean(np.linalg.norm(self.route[:, 2:4] - self.route[:, 4:6], axis=1)))
        # The normalised projection of every centre vertex except the last, then 1.0
        # (docs/deepracer-semantics.md#track-geometry).
        self.ndists = np.concatenate((self.centre_cum[:-1] / self.length, [1.0]))
        self._ndists_list = self.ndists.tolist()
        self.waypoints = [(float(x), float(y)) for x, y in self.centre]
        if self.is_loop:
            self.road_edges = geometry.ring_edges(self.outer, self.inner)
            self.inner_half_edges = geometry.ring_edges(self.centre, self.inner)
        else:
            self.road_edges = geometry.ring_edges(np.vstack((self.outer, self.inner[::-1])))
            self.inner_half_edges = geometry.ring_edges(np.vstack((self.centre, self.inner[::-1])))
        self.is_ccw = _forward_is_ccw(self.route, self.is_loop) != self.is_reversed
        self._other_direction: Track | None = None

    # ----------------------------------------------------------------- direction
    def reversed(self) -> "Track":
        """The same route driven the other way (cached, so both directions share one object each)."""
        if self._other_direction is None:
            other = Track(self.route, self.name, not self.is_reversed, self.source)
            other._other_direction = self
            self._other_direction = other
        return self._other_direction

    def directed(self, reverse: bool) -> "Track":
        """This route driven against the file's point order when `reverse`, along it otherwise."""
        return self.reversed() if bool(reverse) != self.is_reversed else self

    # ----------------------------------------------------------------- per-step queries
    def project(self, x: float, y: float) -> tuple[float, float]:
        """(arc length along the centre line in m, distance from the centre line in m) of a point."""
        arc, dist, _, _, _ = geometry.project_point(float(x), float(y), self.centre, self.centre_cum)
        return arc, dist

    def ndist(self, x: float, y: float) -> float:
        """Normalised projection onto the centre line (shapely's `project(p, normalized=True)`)."""
        return self.project(x, y)[0] / self.length

    def project_many(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Arc lengths (M,), distances (M,) and nearest centre points (M, 2) for points (M, 2)."""
        xy = _points(xy, "points")
        return geometry.project_points(xy, self.centre, self.centre_cum)

    def on_road(self, xy: np.ndarray) -> np.ndarray:
        """Whether each point (M, 2) lies inside the road polygon (between the borders)."""
        return geometry.points_in_polygon(_points(xy, "points"), self.road_edges)

    def in_inner_half(self, xy: np.ndarray) -> np.ndarray:
        """Whether each point lies between the centre line and the inner border."""
        return geometry.points_in_polygon(_points(xy, "points"), self.inner_half_edges)

    def nearest_border_points(self, x: float, y: float) -> tuple[np.ndarray, np.ndarray]:
        """Inner and outer border points nearest to the centre point nearest to (x, y)
        (docs/deepracer-semantics.md#param-definitions).
        """
        _, _, cx, cy, _ = geometry.project_point(float(x), float(y), self.centre, self.centre_cum)
        _, _, ix, iy, _ = geometry.project_point(cx, cy, self.inner, self.inner_cum)
        _, _, ox, oy, _ = geometry.project_point(cx, cy, self.outer, self.outer_cum)
        return np.array([ix, iy]), np.array([ox, oy])

    def point_at(self, arc: float, line: str = "centre") -> np.ndarray:
        """Point at arc length `arc` (m) along a line ('centre', 'inner_lane', 'outer_lane', ...); loops wrap."""
        points, cum = self.line(line)
        if self.is_loop:
            arc = arc % cum[-1]
        x, y, _ = geometry.interpolate(points, cum, float(arc))
        return np.array([x, y])

    def heading_at(self, arc: float) -> float:
        """Yaw (rad) at centre arc length `arc`: the direction from that point to the next waypoint
        (docs/deepracer-semantics.md#round-robin-start).
        """
        if self.is_loop:
            arc = arc % self.length
        x, y, segment = geometry.interpolate(self.centre, self.centre_cum, float(arc))
        nxt = segment + 1
        while nxt < len(self.centre) - 1 and self.centre_cum[nxt] <= arc + 1e-9:
            nxt += 1
        dx, dy = self.centre[nxt, 0] - x, self.centre[nxt, 1] - y
        if math.hypot(dx, dy) < 1e-9:  # on the last vertex of an open track
            dx, dy = self.centre[-1] - self.centre[-2]
        return math.atan2(dy, dx)

    def line(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        try:
            return getattr(self, name), getattr(self, f"{name}_cum")
        except AttributeError:
            raise ValueError(
                f"unknown track line {name!r}; use centre, inner, outer, inner_lane or outer_lane"
            ) from None

    def closest_waypoints(self, ndist: float) -> list[int]:
        """[previous, next] centre waypoint indices around a normalised projection (arc length,
        docs/deepracer-semantics.md#param-definitions).
        """
        nxt = bisect.bisect_right(self._ndists_list, ndist)
        prev = nxt - 1
        if prev == -1:
            prev = len(self._ndists_list) - 1
        if nxt == len(self._ndists_list):
            nxt = 0
        return [prev, nxt]

    def lane_point(self, arc: float, lane: int) -> tuple[float, float, float]:
        """(x, y, yaw) on a lane at the centre-line arc length `arc`: lane 1 inner, -1 outer, 0 centre.

        The lane point is the one nearest to the centre point, its yaw the lane's
        local direction (docs/deepracer-semantics.md#obstacles).
        """
        if lane == 0:
            x, y = self.point_at(arc)
            return float(x), float(y), self.heading_at(arc)
        if lane not in (1, -1):
            raise ValueError(f"lane must be 1 (inner), -1 (outer) or 0 (centre), got {lane!r}")
        points, cum = self.line("inner_lane" if lane == 1 else "outer_lane")
        cx, cy = self.point_at(arc)
        lane_arc, _, x, y, _ = geometry.project_point(cx, cy, points, cum)
        back = points_at(points, cum, lane_arc - 0.05, self.is_loop)
        ahead = points_at(points, cum, lane_arc + 0.05, self.is_loop)
        return float(x), float(y), math.atan2(ahead[1] - back[1], ahead[0] - back[0])

    # ----------------------------------------------------------------- shapely views (construction, plots, tests)
    @cached_property
    def centre_line(self):
        return _shapely_line(self.centre, self.is_loop)

    @cached_property
    def road_polygon(self):
        from shapely.geometry import Polygon

        if self.is_loop:
            return Polygon(self.outer, holes=[self.inner])
        return Polygon(np.vstack((self.outer, self.inner[::-1])))

    def __repr__(self) -> str:
        direction = "reversed" if self.is_reversed else "forward"
        shape = "loop" if self.is_loop else "open"
        return (
            f"Track({self.name!r}, {direction}, {shape}, {len(self.route)} rows, "
            f"length {self.length:.3f} m, width {self.width:.3f} m, {'CCW' if self.is_ccw else 'CW'})"
        )


def points_at(points: np.ndarray, cum: np.ndarray, arc: float, loop: bool) -> np.ndarray:
    if loop:
        arc = arc % cum[-1]
    x, y, _ = geometry.interpolate(points, cum, float(arc))
    return np.array([x, y])


# --------------------------------------------------------------------- validation
def validate_route(route, source: str) -> np.ndarray:
    """Check a route array and return it as a float64 (N, 6) array, or raise TrackError naming the problem."""
    array = np.asarray(route)
    if array.ndim != 2 or array.shape[1] != 6:
        raise TrackError(
            f"{source}: a route must be an (N, 6) array (centre x,y, inner x,y, outer x,y), got shape {array.shape}"
        )
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise TrackError(f"{source}: a route must hold numbers, got dtype {array.dtype}")
    array = np.array(array, dtype=np.float64)
    bad = np.argwhere(~np.isfinite(array))
    if len(bad):
        row, column = bad[0]
        raise TrackError(
            f"{source}: row {row}, column {column} is {array[row, column]} (NaN or infinite); "
            f"{len(bad)} non-finite value(s) in all"
        )
    is_loop = np.array_equal(array[0], array[-1])
    centre = array[:, 0:2]
    distinct = _distinct_consecutive(centre[:-1] if is_loop else centre)
    if len(distinct) < 3:
        raise TrackError(
            f"{source}: a track needs at least 3 distinct centre points, got {len(distinct)} ({len(array)} rows)"
        )
    for label, columns in (("inner border", slice(2, 4)), ("outer border", slice(4, 6))):
        points = array[:, columns]
        if len(_distinct_consecutive(points[:-1] if is_loop else points)) < 2:
            raise TrackError(f"{source}: the {label} collapses to a single point")
    _check_simple(centre, is_loop, source, "centre line")
    centre_line = _shapely_line(centre, is_loop)
    for label, columns in (("inner border", slice(2, 4)), ("outer border", slice(4, 6))):
        border = _shapely_line(array[:, columns], is_loop)
        if border.intersects(centre_line):
            where = border.intersection(centre_line).representative_point()
            raise TrackError(
                f"{source}: the {label} crosses the centre line near ({where.x:.3f}, {where.y:.3f})"
            )
    return array


def _distinct_consecutive(points: np.ndarray) -> np.ndarray:
    keep = np.ones(len(points), dtype=bool)
    keep[1:] = np.any(np.diff(points, axis=0) != 0, axis=1)
    return points[keep]


def _shapely_line(points: np.ndarray, loop: bool):
    from shapely.geometry import LinearRing, LineString

    distinct = _distinct_consecutive(points)
    if loop:
        return LinearRing(distinct)
    return LineString(distinct)


def _check_simple(points: np.ndarray, loop: bool, source: str, label: str) -> None:
    line = _shapely_line(points, loop)
    if line.is_simple:
        return
    import shapely
    from shapely.geometry import LineString

    coords = np.asarray(line.coords)
    segments = [LineString(coords[i:i + 2]) for i in range(len(coords) - 1)]
    tree = shapely.STRtree(segments)
    n = len(segments)
    for i, segment in enumerate(segments):
        for j in tree.query(segment, predicate="intersects"):
            j = int(j)
            adjacent = abs(i - j) <= 1 or (loop and {i, j} == {0, n - 1})
            if j > i and not adjacent:
                where = segment.intersection(segments[j]).representative_point()
                raise TrackError(
                    f"{source}: the {label} crosses itself near ({where.x:.3f}, {where.y:.3f}) "
                    f"(segments {i} and {j})"
                )
    raise TrackError(f"{source}: the {label} is not simple (it touches or retraces itself)")


def _forward_is_ccw(route: np.ndarray, is_loop: bool) -> bool:
    if is_loop:
        return bool(_shapely_line(route[:, 0:2], True).is_ccw)
    # An open track has no orientation of its own; call it CCW when the inner border is on the
    # left of the direction of travel, which is what the loop convention means for the
    # left/right-of-centre formula (docs/deepracer-semantics.md#track-geometry).
    centre, inner = route[:, 0:2], route[:, 2:4]
    tangent = np.gradient(centre, axis=0)
    offset = inner - centre
    return bool(np.sum(tangent[:, 0] * offset[:, 1] - tangent[:, 1] * offset[:, 0]) > 0)


def _points(xy, what: str) -> np.ndarray:
    array = np.asarray(xy, dtype=np.float64)
    if array.ndim == 1 and array.shape == (2,):
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(f"{what} must be an (M, 2) array of x, y, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} must be finite, got {array[~np.all(np.isfinite(array), axis=1)][0]}")
    return np.ascontiguousarray(array)


# --------------------------------------------------------------------- loading and saving
def list_tracks() -> list[str]:
    """Names of the tracks shipped with the package."""
    return sorted(p.stem for p in DATA_DIR.glob("*.npy"))


def load_route_file(path: str | os.PathLike) -> np.ndarray:
    path = Path(path)
    try:
        with open(path, "rb") as stream:
            array = np.load(stream, allow_pickle=False)
    except FileNotFoundError:
        raise TrackError(f"{path}: no such route file") from None
    except OSError as error:
        raise TrackError(f"{path}: cannot read route file ({error.strerror or error})") from None
    except ValueError as error:
        raise TrackError(f"{path}: not a NumPy .npy route file ({error})") from None
    if not isinstance(array, np.ndarray):
        raise TrackError(f"{path}: expected one NumPy array, got {type(array).__name__}")
    return array


def resolve_track_path(name_or_path: str | os.PathLike) -> Path:
    text = os.fspath(name_or_path)
    shipped = DATA_DIR / f"{text}.npy"
    if shipped.is_file() and os.sep not in text and not text.endswith(".npy"):
        return shipped
    candidate = Path(text)
    if candidate.is_file():
        return candidate
    if os.sep not in text and not text.endswith(".npy"):
        for folder in filter(None, os.environ.get(TRACKS_PATH_ENV, "").split(os.pathsep)):
            found = Path(folder) / f"{text}.npy"
            if found.is_file():
                return found
    searched = f" or in ${TRACKS_PATH_ENV}" if os.environ.get(TRACKS_PATH_ENV) else ""
    raise TrackError(
        f"unknown track {text!r}: not a shipped track ({', '.join(list_tracks()) or 'none'}), "
        f"not an existing .npy file{searched}"
    )


_CACHE: dict[tuple[str, float, int], Track] = {}


def load_track(name_or_path: "str | os.PathLike | Track", reverse: bool = False) -> Track:
    """A shipped track by name, or a route file by path, driven forward or reversed.

    Loaded files are cached by path and modification time, so many environments
    on one track share one set of arrays.
    """
    if isinstance(name_or_path, Track):
        return name_or_path.directed(reverse)
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TrackError(f"a track is a name, a .npy path or a Track, got {type(name_or_path).__name__}")
    path = resolve_track_path(name_or_path).resolve()
    stat = path.stat()
    key = (str(path), stat.st_mtime, stat.st_size)
    track = _CACHE.get(key)
    if track is None:
        track = Track(load_route_file(path), name=path.stem, source=str(path))
        _CACHE[key] = track
    return track.directed(reverse)


def save_route(path: str | os.PathLike, track: "Track | np.ndarray") -> Path:
    """Write a route (N, 6) .npy atomically; a Track is saved in its file order (not its driving order)."""
    route = track.route if isinstance(track, Track) else validate_route(track, os.fspath(path))
    path = Path(path)
    write_with_atomic(path, lambda stream: np.save(stream, np.asarray(route, dtype=np.float64), allow_pickle=False))
    return path


def route_from_lines(centre: Sequence, inner: Sequence, outer: Sequence) -> np.ndarray:
    """Stack three (N, 2) lines into a route array."""
    return np.hstack([np.asarray(line, dtype=np.float64) for line in (centre, inner, outer)])


def as_track(value: "str | os.PathLike | Track", reverse: bool | None = None) -> Track:
    """A Track from a Track, name or path; `reverse` None keeps a Track's own direction."""
    if isinstance(value, Track):
        return value if reverse is None else value.directed(reverse)
    return load_track(value, bool(reverse))

