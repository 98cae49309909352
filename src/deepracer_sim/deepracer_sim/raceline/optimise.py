"""The minimum-curvature path between a track's borders.

The path is a chain of evenly spaced stations along a reference line (first the
track's smoothed centre line); each station may slide along the reference's
normal by a lateral offset, within the part of the road that keeps a clearance
(the car's half-width plus a safety margin) from both borders. Each station's
turn (curvature times spacing) depends on the offsets of itself and its two
neighbours; linearised around the reference, the offsets that minimise the
summed squared turns solve a quadratic programme with box bounds. The programme
is re-solved with the previous answer as the new reference until the path stops
moving (it ends up its own reference, so the linearisation error goes away).

This is the method of Heilmeier et al., "Minimum curvature trajectory planning
and control for an autonomous race car", Vehicle System Dynamics 58 (2020).
Minimum curvature stands in for minimum lap time on a grip-limited car: the
largest radius through each corner is the highest cornering speed. (See
curvature_model for the exact objective.)

The quadratic programmes go to Clarabel (an interior-point conic solver, one of
CVXPY's standard solvers): on a 23 m route with 230 stations it solves in a few milliseconds,
where scipy's bounded least squares takes about a second (and its fast
variant stops short of the optimum).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Stations every 10 cm: a fifth of the tightest corner radius on a DeepRacer track (about 0.5 m).
STATION_SPACING = 0.10
# Re-solve with the last path as the reference until no station moves more than this (m), at most
# MAX_ITERATIONS times; three to six passes are typical. Resampling the path leaves a jitter of about
# a millimetre, so asking for less only adds passes.
CONVERGED_SHIFT = 2e-3
MAX_ITERATIONS = 6
# Between stations the spline may cut a corner of the drivable area (around a sharp vertex of a border
# the area's edge curves much tighter than the path); the bounds of the stations either side are
# tightened and the programme re-solved, at most this many times.
MAX_REPAIRS = 6
# Lateral search step when finding the drivable interval of each normal; the interval ends are then
# refined by bisection to BOUND_TOLERANCE and pulled in by it, so the spline through the stations
# stays inside the drivable area between them too.
BOUND_SEARCH_STEP = 0.01
BOUND_TOLERANCE = 5e-4
# Open tracks: the borders are extended this far past each end, so the clearance applies to the
# borders only and not to the start and finish lines.
OPEN_END_EXTENSION = 1.0


class RacingLineError(ValueError):
    """The track leaves no room for a racing line (too narrow for the car plus margin, or degenerate)."""


@dataclass(frozen=True)
class Stations:
    """Points on a reference line, their left normals and the drivable offset interval of each."""

    points: np.ndarray  # (N, 2)
    normals: np.ndarray  # (N, 2) unit, pointing left of the direction of travel
    low: np.ndarray  # (N,) smallest allowed offset along the normal (negative: right of the reference)
    high: np.ndarray  # (N,) largest allowed offset
    spacing: float  # m between stations along the reference
    is_loop: bool

    def at(self, offsets: np.ndarray) -> np.ndarray:
        return self.points + offsets[:, None] * self.normals


def distinct_points(points: np.ndarray, loop: bool) -> np.ndarray:
    """The points without repeated consecutive vertices (nor a loop's closing vertex)."""
    keep = np.ones(len(points), dtype=bool)
    keep[1:] = np.linalg.norm(np.diff(points, axis=0), axis=1) > 1e-9
    points = points[keep]
    if loop and len(points) > 1 and np.linalg.norm(points[-1] - points[0]) <= 1e-9:
        points = points[:-1]
    return points


def fit_spline(points: np.ndarray, loop: bool):
    """A cubic spline through the points, parameterised by chord length; returns (spline, length)."""
    from scipy.interpolate import CubicSpline

    chain = np.vstack((points, points[:1])) if loop else points
    chord = np.concatenate(([0.0], np.cumsum(np.linalg.norm(np.diff(chain, axis=0), axis=1))))
    spline = CubicSpline(chord, chain, bc_type="periodic" if loop else "natural")
    return spline, float(chord[-1])


def station_count(length: float, spacing: float) -> int:
    return max(int(math.ceil(length / spacing)), 8)


def spline_parameters(length: float, count: int, loop: bool) -> np.ndarray:
    """`count` evenly spaced parameters over [0, length] (a loop's end, equal to its start, left out)."""
    return np.linspace(0.0, length, count, endpoint=not loop)


def road_area(track):
    """The road polygon; an open track's borders are extended past both ends (see OPEN_END_EXTENSION)."""
    from shapely.geometry import Polygon

    if track.is_loop:
        return track.road_polygon
    inner, outer = distinct_points(track.inner, False), distinct_points(track.outer, False)

    def extended(line):
        head = line[0] - OPEN_END_EXTENSION * _unit(line[1] - line[0])
        tail = line[-1] + OPEN_END_EXTENSION * _unit(line[-1] - line[-2])
        return np.vstack((head, line, tail))

    return Polygon(np.vstack((extended(outer), extended(inner)[::-1])))


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def drivable_area(track, clearance: float):
    """The part of the road at least `clearance` from both borders (shapely's negative buffer), prepared."""
    import shapely

    area = road_area(track).buffer(-clearance, quad_segs=16)
    if area.is_empty:
        raise RacingLineError(
            f"{track.name}: the track ({track.width:.3f} m wide) has no room for a car that needs "
            f"{clearance:.3f} m from each border (try a smaller --margin)"
        )
    shapely.prepare(area)
    return area


def make_stations(track, area, reference: np.ndarray, count: int) -> Stations:
    """`count` stations evenly spread along a reference line (driving order) with their drivable offsets."""
    spline, length = fit_spline(reference, track.is_loop)
    parameter = spline_parameters(length, count, track.is_loop)
    points = spline(parameter)
    tangents = spline(parameter, 1)
    tangents /= np.linalg.norm(tangents, axis=1, keepdims=True)
    normals = np.column_stack((-tangents[:, 1], tangents[:, 0]))
    low, high = drivable_offsets(track, area, points, normals)
    step = float(parameter[1] - parameter[0])
    return Stations(points, normals, low, high, step, track.is_loop)


def drivable_offsets(track, area, points: np.ndarray, normals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each station, the interval of offsets along its normal that stays inside the drivable area.

    The interval is the run of drivable offsets nearest the station (a normal may cross another part of
    the road further out, which is not reachable from here), found on a 1 cm grid and refined by bisection.
    """
    import shapely

    reach = float(np.max(np.linalg.norm(track.route[:, 2:4] - track.route[:, 4:6], axis=1)))
    grid = np.arange(-reach, reach + BOUND_SEARCH_STEP / 2, BOUND_SEARCH_STEP)
    xs = points[:, 0:1] + grid[None, :] * normals[:, 0:1]
    ys = points[:, 1:2] + grid[None, :] * normals[:, 1:2]
    inside = shapely.contains_xy(area, xs, ys)  # (stations, grid)
    centre_index = int(np.argmin(np.abs(grid)))
    count = len(points)
    brackets = np.empty((2, count, 2))  # [low | high][station][outside offset, inside offset]
    for i in range(count):
        row = inside[i]
        feasible = np.flatnonzero(row)
        if len(feasible) == 0:
            where = ", ".join(f"{v:.2f}" for v in points[i])
            raise RacingLineError(
                f"{track.name}: near ({where}) the track is too narrow for the car plus margin "
                f"(try a smaller --margin)"
            )
        first = last = int(feasible[np.argmin(np.abs(feasible - centre_index))])
        while first > 0 and row[first - 1]:
            first -= 1
        while last < len(grid) - 1 and row[last + 1]:
            last += 1
        brackets[0, i] = (grid[first] - BOUND_SEARCH_STEP, grid[first])
        brackets[1, i] = (grid[last] + BOUND_SEARCH_STEP, grid[last])
    bounds = []
    for bracket in brackets:
        outside, inside_edge = bracket[:, 0].copy(), bracket[:, 1].copy()
        while np.max(np.abs(outside - inside_edge)) > BOUND_TOLERANCE:
            middle = 0.5 * (outside + inside_edge)
            ok = shapely.contains_xy(area, points[:, 0] + middle * normals[:, 0], points[:, 1] + middle * normals[:, 1])
            inside_edge = np.where(ok, middle, inside_edge)
            outside = np.where(ok, outside, middle)
        bounds.append(inside_edge)
    low = bounds[0] + BOUND_TOLERANCE
    high = bounds[1] - BOUND_TOLERANCE
    squeezed = low > high  # a sliver of drivable road narrower than the tolerance: stay in its middle
    low[squeezed] = high[squeezed] = 0.5 * (bounds[0][squeezed] + bounds[1][squeezed])
    return low, high


def curvature_model(stations: Stations):
    """(A, b) with turn ≈ A @ offsets + b at the stations (sparse A; an open chain's ends excluded).

    The turn of station i is its curvature times the station spacing, cross(d, s) / |d|^2 with
    d = (p[i+1] - p[i-1]) / 2 and s = p[i+1] - 2 p[i] + p[i-1] (the central differences of the
    chain): the heading change from one station to the next. b is its value at the stations and A
    its derivative with respect to the offsets, each station moving along its normal.

    With N stations evenly spread over a path of length L, the sum of squared turns is
    (L / N) times the bending energy (the integral of curvature squared): the classic minimum-curvature
    objective weighted by the path length, which is also what the usual linearised programme (station
    spacing held at the reference's) minimises to first order. The bending energy alone swings wide to
    open up the corners and lengthens the path: in this simulator its laps were 2 to 7 % slower.
    """
    from scipy.sparse import coo_matrix

    points, normals = stations.points, stations.normals
    count = len(points)
    rows = np.arange(count) if stations.is_loop else np.arange(1, count - 1)
    before, after = (rows - 1) % count, (rows + 1) % count
    d = 0.5 * (points[after] - points[before])
    s = points[after] - 2.0 * points[rows] + points[before]

    def cross(u, v):
        return u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]

    d2 = np.einsum("ij,ij->i", d, d)
    b = cross(d, s) / d2

    def derivative(d_shift, s_shift):
        # The change of the turn when a neighbour's offset moves d by d_shift and s by s_shift per metre.
        change = cross(d_shift, s) + cross(d, s_shift)
        return change / d2 - 2.0 * b * np.einsum("ij,ij->i", d, d_shift) / d2

    zero = np.zeros_like(d)
    n_before, n_here, n_after = normals[before], normals[rows], normals[after]
    columns = (
        (before, derivative(-0.5 * n_before, n_before)),
        (rows, derivative(zero, -2.0 * n_here)),
        (after, derivative(0.5 * n_after, n_after)),
    )
    index = np.arange(len(rows))
    matrix = coo_matrix(
        (np.concatenate([value for _, value in columns]),
         (np.concatenate([index] * 3), np.concatenate([column for column, _ in columns]))),
        shape=(len(rows), count),
    ).tocsc()
    return matrix, b


def minimum_curvature_offsets(stations: Stations) -> np.ndarray:
    """Offsets (N,) within the stations' bounds that minimise the summed squared (linearised) turns."""
    import clarabel
    from scipy.sparse import csc_matrix, identity, triu, vstack

    matrix, b = curvature_model(stations)
    count = len(stations.points)
    # minimise |A x + b|^2 = x'(A'A)x + 2(A'b)'x + const; Clarabel takes (1/2) x'Px + q'x with P upper-triangular.
    quadratic = csc_matrix(triu(2.0 * (matrix.T @ matrix)))
    linear = 2.0 * (matrix.T @ b)
    # x <= high and -x <= -low as A x + s = b with s >= 0.
    constraints = vstack((identity(count), -identity(count))).tocsc()
    limits = np.concatenate((stations.high, -stations.low))
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    solver = clarabel.DefaultSolver(quadratic, linear, constraints, limits,
                                    [clarabel.NonnegativeConeT(2 * count)], settings)
    solution = solver.solve()
    offsets = np.asarray(solution.x, dtype=float)
    if str(solution.status) not in ("Solved", "AlmostSolved") or not np.all(np.isfinite(offsets)):
        raise RacingLineError(f"the racing-line optimisation did not converge (Clarabel: {solution.status})")
    return np.clip(offsets, stations.low, stations.high)


@dataclass(frozen=True)
class OptimisedPath:
    points: np.ndarray  # (N, 2) stations of the final path, driving order, a loop's end not repeated
    iterations: int  # quadratic programmes solved
    last_shift: float  # m, the largest station move of the last re-linearisation


def minimum_curvature_path(track, clearance: float, spacing: float = STATION_SPACING) -> OptimisedPath:
    """The minimum-curvature path of a track (driving order) keeping `clearance` from both borders."""
    area = drivable_area(track, clearance)
    reference = distinct_points(track.centre, track.is_loop)
    count = station_count(track.length, spacing)
    shift = math.inf
    solved = 0
    while solved < MAX_ITERATIONS and shift > CONVERGED_SHIFT:
        stations = make_stations(track, area, reference, count)
        offsets = minimum_curvature_offsets(stations)
        reference = stations.at(offsets)
        shift = float(np.max(np.abs(offsets)))
        solved += 1
    for _ in range(MAX_REPAIRS):
        if not _tighten_where_the_spline_leaves(track, area, stations, offsets):
            break
        offsets = minimum_curvature_offsets(stations)
        reference = stations.at(offsets)
        solved += 1
    return OptimisedPath(reference, solved, shift)


def _tighten_where_the_spline_leaves(track, area, stations: Stations, offsets: np.ndarray,
                                     samples_per_gap: int = 10) -> bool:
    """Tighten (in place) the bounds of the stations around any stretch of the path's spline that leaves
    the drivable area; returns whether there was one."""
    import shapely

    points = stations.at(offsets)
    spline, _ = fit_spline(points, track.is_loop)
    count = len(points)
    # Spline parameters of the stations (chord length) and samples between them.
    chain = np.vstack((points, points[:1])) if track.is_loop else points
    knots = np.concatenate(([0.0], np.cumsum(np.linalg.norm(np.diff(chain, axis=0), axis=1))))
    fractions = np.arange(1, samples_per_gap) / samples_per_gap
    between = (knots[:-1, None] + fractions[None, :] * np.diff(knots)[:, None])  # (gaps, samples)
    xy = spline(between.ravel())
    outside = ~shapely.contains_xy(area, xy[:, 0], xy[:, 1])
    if not outside.any():
        return False
    depth = np.zeros(len(xy))
    depth[outside] = shapely.distance(area, shapely.points(xy[outside]))
    gap_depth = depth.reshape(between.shape).max(axis=1)
    for gap in np.flatnonzero(gap_depth > 0):
        for station in (gap, (gap + 1) % count):
            # Pull in the bound the station is nearer to: that is the border the path is cutting toward.
            extra = gap_depth[gap] + 2 * BOUND_TOLERANCE
            if stations.high[station] - offsets[station] < offsets[station] - stations.low[station]:
                stations.high[station] = max(stations.high[station] - extra, stations.low[station])
            else:
                stations.low[station] = min(stations.low[station] + extra, stations.high[station])
    return True
