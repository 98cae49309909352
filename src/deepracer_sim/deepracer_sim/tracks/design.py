"""Our own track designs and the random track generator.

Shipped tracks are drawn as a chain of straights and circular arcs (like the
painted tracks of the physical DeepRacer league), sampled every ~0.15 m the way
AWS route files are, and written in the AWS route format by
`scripts/make_tracks.py`. Two straight lengths in each closed design are left
free and solved so the chain closes exactly; the designs below pick the
remaining pieces.

Random tracks are periodic cubic splines through jittered points around a
circle, resampled by arc length, rejected and redrawn (deterministically from
the seed) until the borders are clean.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from deepracer_sim.tracks.track import Track, TrackError, route_from_lines

WAYPOINT_SPACING = 0.15  # m, the mean spacing of AWS route files (reinvent_base: 0.150 m)
REINVENT_WIDTH = 0.762  # m, 30 inches: re:Invent 2018 and most training tracks
WIDE_WIDTH = 1.0668  # m, 42 inches: the newer wide tracks


@dataclass(frozen=True)
class Straight:
    length: float | None  # None = solved so that the loop closes


@dataclass(frozen=True)
class Arc:
    radius: float
    angle_deg: float  # positive turns left (counter-clockwise), negative right


def _piece_samples(piece, x, y, heading, length):
    """Sample points (x, y, heading) along one piece, excluding its start point."""
    if isinstance(piece, Straight):
        n = max(1, math.ceil(length / WAYPOINT_SPACING - 1e-9))
        t = np.arange(1, n + 1) / n * length
        return np.column_stack((x + t * math.cos(heading), y + t * math.sin(heading), np.full(n, heading)))
    sweep = math.radians(piece.angle_deg)
    arc_length = abs(sweep) * piece.radius
    n = max(1, math.ceil(arc_length / WAYPOINT_SPACING - 1e-9))
    side = math.copysign(1.0, sweep)
    cx = x - side * piece.radius * math.sin(heading)
    cy = y + side * piece.radius * math.cos(heading)
    angles = heading + np.arange(1, n + 1) / n * sweep
    px = cx + side * piece.radius * np.sin(angles)
    py = cy - side * piece.radius * np.cos(angles)
    return np.column_stack((px, py, angles))


def _chain(pieces, lengths):
    points = [np.array([[0.0, 0.0, 0.0]])]
    x = y = heading = 0.0
    for piece, length in zip(pieces, lengths):
        samples = _piece_samples(piece, x, y, heading, length)
        points.append(samples)
        x, y, heading = samples[-1]
    return np.vstack(points)


def _solve_free_straights(pieces) -> list[float]:
    """Lengths of every straight, with the two free ones chosen so the chain ends where it starts."""
    free = [i for i, p in enumerate(pieces) if isinstance(p, Straight) and p.length is None]
    turn = sum(p.angle_deg for p in pieces if isinstance(p, Arc))
    if abs(turn - 360.0) > 1e-9:
        raise ValueError(f"a counter-clockwise loop must turn 360°, this one turns {turn}°")
    fixed = [0.0 if i in free else (p.length if isinstance(p, Straight) else 0.0) for i, p in enumerate(pieces)]
    end = _chain(pieces, fixed)[-1, :2]
    if not free:
        if np.hypot(*end) > 1e-9:
            raise ValueError(f"this design does not close (ends {np.hypot(*end):.3g} m from its start)")
        return fixed
    if len(free) != 2:
        raise ValueError(f"a closed design needs none or exactly two free straights, got {len(free)}")
    # Each free straight moves the end point along its own heading, linearly in its length.
    headings = []
    heading = 0.0
    for i, piece in enumerate(pieces):
        if i in free:
            headings.append(heading)
        if isinstance(piece, Arc):
            heading += math.radians(piece.angle_deg)
    matrix = np.array([[math.cos(h) for h in headings], [math.sin(h) for h in headings]])
    a, b = np.linalg.solve(matrix, -end)
    if a <= 0.05 or b <= 0.05:
        raise ValueError(f"this design cannot close with positive straights (solved {a:.3f} m, {b:.3f} m)")
    lengths = list(fixed)
    lengths[free[0]], lengths[free[1]] = a, b
    return lengths


def closed_route(pieces, width: float, length: float | None = None) -> np.ndarray:
    """Route array (N, 6) of a closed counter-clockwise chain of pieces, first row repeated last.

    With `length`, the whole design is scaled so its sampled centre line has that length.
    """
    for _ in range(3 if length else 0):  # sampling shortens arcs a little, so rescale until it settles
        samples = _chain(pieces, _solve_free_straights(pieces))
        factor = length / float(np.sum(np.hypot(*np.diff(samples[:, :2], axis=0).T)))
        pieces = [
            Arc(p.radius * factor, p.angle_deg) if isinstance(p, Arc)
            else Straight(None if p.length is None else p.length * factor)
            for p in pieces
        ]
    samples = _chain(pieces, _solve_free_straights(pieces))
    samples[-1, :2] = samples[0, :2]  # exact closure; the solve leaves ~1e-15 m
    return _route_from_samples(samples[:, :2], samples[:, 2], width, closed=True)


def open_route(pieces, width: float) -> np.ndarray:
    lengths = [p.length if isinstance(p, Straight) else 0.0 for p in pieces]
    samples = _chain(pieces, lengths)
    return _route_from_samples(samples[:, :2], samples[:, 2], width, closed=False)


def _route_from_samples(centre: np.ndarray, heading: np.ndarray, width: float, closed: bool) -> np.ndarray:
    # Counter-clockwise designs keep the inner border on the left of the direction of travel.
    normal = np.column_stack((-np.sin(heading), np.cos(heading)))
    inner = centre + normal * width / 2.0
    outer = centre - normal * width / 2.0
    route = route_from_lines(centre, inner, outer)
    if closed:
        route[-1] = route[0]
    return np.round(route, 9)  # tidy decimals; keeps the first row exactly equal to the last


# --------------------------------------------------------------------- shipped designs
def beginner_oval() -> np.ndarray:
    """A wide stadium: two 4 m straights and two gentle 1.3 m bends, 16.2 m long, 1.07 m wide."""
    return closed_route(
        [Straight(2.0), Arc(1.3, 180.0), Straight(4.0), Arc(1.3, 180.0), Straight(2.0)], WIDE_WIDTH
    )


def crescent_loop() -> np.ndarray:
    """A re:Invent-2018-sized loop (17.7 m, 0.762 m wide): a start straight, medium and
    tight left bends, and a right-hand bend biting into the top side, which gives the loop
    its crescent shape."""
    return closed_route(
        [
            Straight(None),
            Arc(1.0, 90.0),
            Straight(None),
            Arc(0.9, 90.0),
            Straight(1.2),
            Arc(0.8, 60.0),
            Arc(1.0, -120.0),  # the right-hand bend
            Arc(0.7, 150.0),
            Straight(1.0),
            Arc(1.0, 90.0),
        ],
        REINVENT_WIDTH,
        length=17.7,
    )


def hairpin_technical() -> np.ndarray:
    """A technical circuit: a long straight into a 0.55 m hairpin, an S-bend chicane, a
    right-hander, a second hairpin and a long back straight; 0.762 m wide."""
    return closed_route(
        [
            Straight(None),
            Arc(0.55, 180.0),  # the hairpin
            Straight(1.0),
            Arc(0.8, -60.0),  # chicane, right then left
            Arc(0.8, 60.0),
            Straight(0.5),
            Arc(0.7, -90.0),
            Straight(0.8),
            Arc(0.8, 180.0),
            Straight(None),
            Arc(0.9, 90.0),
        ],
        REINVENT_WIDTH,
    )


def straight() -> np.ndarray:
    """An open 6 m straight (not a loop) for controller and sensor tests."""
    return open_route([Straight(6.0)], REINVENT_WIDTH)


SHIPPED_DESIGNS = {
    "beginner_oval": beginner_oval,
    "crescent_loop": crescent_loop,
    "hairpin_technical": hairpin_technical,
    "straight": straight,
}


def build_shipped() -> dict[str, np.ndarray]:
    """Every shipped route by name, validated."""
    routes = {}
    for name, design in SHIPPED_DESIGNS.items():
        route = design()
        Track(route, name=name)  # raises TrackError if a design goes wrong
        routes[name] = route
    return routes


# --------------------------------------------------------------------- random tracks
def random_track(
    seed: int,
    length: float | None = None,
    width: float = REINVENT_WIDTH,
    min_radius: float | None = None,
    max_attempts: int = 200,
) -> Track:
    """A valid random closed counter-clockwise track, the same for the same arguments.

    length: centre-line length in m (default: drawn in [15, 30] m from the seed).
    min_radius: tightest allowed centre-line radius (default 0.5·width + 0.2 m, so
    the inner border never folds over).
    """
    from scipy.interpolate import splev, splprep

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TrackError(f"random_track: seed must be an integer, got {seed!r}")
    if not (isinstance(width, (int, float)) and 0.2 <= width <= 3.0):
        raise TrackError(f"random_track: width must be in [0.2, 3] m, got {width!r}")
    if length is not None and not (isinstance(length, (int, float)) and 8.0 <= length <= 200.0):
        raise TrackError(f"random_track: length must be in [8, 200] m, got {length!r}")
    min_radius = 0.5 * width + 0.2 if min_radius is None else float(min_radius)
    rng = np.random.default_rng(int(seed))
    for _ in range(max_attempts):
        target = float(length) if length is not None else float(rng.uniform(15.0, 30.0))
        count = int(rng.integers(8, 17))
        angles = np.sort((np.arange(count) + rng.uniform(-0.3, 0.3, count)) / count * 2 * np.pi)
        radii = rng.uniform(0.45, 1.5, count)
        control = np.column_stack((radii * np.cos(angles), radii * np.sin(angles)))
        control = np.vstack((control, control[:1]))
        try:
            tck, _ = splprep([control[:, 0], control[:, 1]], s=0, per=1, k=3)
        except Exception:  # splprep rejects degenerate draws; draw again
            continue
        u = np.linspace(0.0, 1.0, 4001)
        x, y = splev(u, tck)
        arc = np.concatenate(([0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))))
        scale = target / arc[-1]
        n = max(24, round(target / WAYPOINT_SPACING))
        u_even = np.interp(np.linspace(0.0, arc[-1], n + 1), arc, u)
        x, y = (np.asarray(v) * scale for v in splev(u_even, tck))
        dx, dy = splev(u_even, tck, der=1)
        ddx, ddy = splev(u_even, tck, der=2)
        speed = np.hypot(dx, dy)
        curvature = (np.asarray(dx) * ddy - np.asarray(dy) * ddx) / speed**3 / scale
        if np.max(np.abs(curvature)) * min_radius >= 1.0:
            continue
        heading = np.arctan2(dy, dx)
        centre = np.column_stack((x, y))
        centre[-1] = centre[0]
        route = _route_from_samples(centre, heading, width, closed=True)
        try:
            track = Track(route, name=f"random-{int(seed)}")
        except TrackError:
            continue
        if not track.is_ccw or not track.road_polygon.is_valid:
            continue
        return track
    raise TrackError(f"random_track: no valid track for seed {seed} after {max_attempts} draws; relax min_radius")
