"""Per-step planar geometry compiled with numba.

The simulator asks the same few questions many thousand times a second: where
along a polyline is this point, and is this point on the road. Shapely answers
them correctly but costs tens of microseconds per call, so tracks are turned
into plain arrays once and these kernels answer from the arrays. The tests
compare every kernel with shapely on many random points.

Conventions shared by the kernels:
- a polyline is an (N, 2) float64 array of vertices plus its (N,) cumulative
  arc length `cum` (cum[0] == 0, cum[-1] == length);
- a polygon (with holes) is an (E, 4) array of edges x0, y0, x1, y1 covering
  every ring; the even-odd rule over all edges gives "inside the outer ring and
  outside every hole", which is what shapely's `Polygon.contains` answers away
  from the boundary.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit


def cumulative_length(points: np.ndarray) -> np.ndarray:
    steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
    return np.concatenate(([0.0], np.cumsum(steps)))


def ring_edges(*rings: np.ndarray) -> np.ndarray:
    """Edge array for a polygon made of closed rings (each ring's last vertex joins its first)."""
    edges = []
    for ring in rings:
        ring = np.asarray(ring, dtype=np.float64)
        if not np.array_equal(ring[0], ring[-1]):
            ring = np.vstack((ring, ring[:1]))
        edge = np.hstack((ring[:-1], ring[1:]))
        edges.append(edge[np.any(edge[:, :2] != edge[:, 2:], axis=1)])
    return np.ascontiguousarray(np.vstack(edges))


@njit(cache=True, error_model="numpy")
def project_point(px, py, points, cum):
    """Closest point of a polyline to (px, py).

    Returns (arc length of the closest point, distance, closest x, closest y,
    segment index). Ties go to the earliest segment, as in GEOS.
    """
    best_d2 = np.inf
    best_s = 0.0
    best_x = points[0, 0]
    best_y = points[0, 1]
    best_i = 0
    for i in range(points.shape[0] - 1):
        ax = points[i, 0]
        ay = points[i, 1]
        dx = points[i + 1, 0] - ax
        dy = points[i + 1, 1] - ay
        l2 = dx * dx + dy * dy
        t = 0.0
        if l2 > 0.0:
            t = ((px - ax) * dx + (py - ay) * dy) / l2
            if t < 0.0:
                t = 0.0
            elif t > 1.0:
                t = 1.0
        cx = ax + t * dx
        cy = ay + t * dy
        d2 = (px - cx) * (px - cx) + (py - cy) * (py - cy)
        if d2 < best_d2:
            best_d2 = d2
            best_s = cum[i] + t * (cum[i + 1] - cum[i])
            best_x = cx
            best_y = cy
            best_i = i
    return best_s, math.sqrt(best_d2), best_x, best_y, best_i


@njit(cache=True, error_model="numpy")
def interpolate(points, cum, s):
    """Point at arc length s (clamped to the polyline) and the index of its segment."""
    n = points.shape[0]
    if s <= 0.0:
        return points[0, 0], points[0, 1], 0
    if s >= cum[n - 1]:
        return points[n - 1, 0], points[n - 1, 1], n - 2
    lo = 0
    hi = n - 1
    while hi - lo > 1:  # largest lo with cum[lo] <= s
        mid = (lo + hi) // 2
        if cum[mid] <= s:
            lo = mid
        else:
            hi = mid
    length = cum[lo + 1] - cum[lo]
    t = 0.0 if length <= 0.0 else (s - cum[lo]) / length
    x = points[lo, 0] + t * (points[lo + 1, 0] - points[lo, 0])
    y = points[lo, 1] + t * (points[lo + 1, 1] - points[lo, 1])
    return x, y, lo


@njit(cache=True, error_model="numpy")
def point_in_polygon(px, py, edges):
    inside = False
    for k in range(edges.shape[0]):
        y0 = edges[k, 1]
        y1 = edges[k, 3]
        if (y0 > py) != (y1 > py):
            x0 = edges[k, 0]
            x1 = edges[k, 2]
            x_cross = x0 + (py - y0) * (x1 - x0) / (y1 - y0)
            if px < x_cross:
                inside = not inside
    return inside


@njit(cache=True, error_model="numpy")
def points_in_polygon(xy, edges):
    out = np.empty(xy.shape[0], dtype=np.bool_)
    for i in range(xy.shape[0]):
        out[i] = point_in_polygon(xy[i, 0], xy[i, 1], edges)
    return out


@njit(cache=True, error_model="numpy")
def project_points(xy, points, cum):
    """Vectorised project_point: (M,) arc lengths, (M,) distances, (M, 2) closest points."""
    m = xy.shape[0]
    s = np.empty(m)
    d = np.empty(m)
    c = np.empty((m, 2))
    for i in range(m):
        s[i], d[i], c[i, 0], c[i, 1], _ = project_point(xy[i, 0], xy[i, 1], points, cum)
    return s, d, c


@njit(cache=True, error_model="numpy")
def rectangle_corners(x, y, yaw, length, width):
    """(4, 2) corners of a rectangle centred on (x, y) with its length along yaw."""
    c = math.cos(yaw)
    s = math.sin(yaw)
    hl = 0.5 * length
    hw = 0.5 * width
    out = np.empty((4, 2))
    k = 0
    for a in (hl, -hl):
        for b in (hw, -hw):
            out[k, 0] = x + a * c - b * s
            out[k, 1] = y + a * s + b * c
            k += 1
    return out


@njit(cache=True, error_model="numpy")
def any_corner_inside(corners, ox, oy, oyaw, olength, owidth):
    """True when any of `corners` lies strictly inside the oriented rectangle (ox, oy, oyaw, olength, owidth)."""
    c = math.cos(oyaw)
    s = math.sin(oyaw)
    for k in range(corners.shape[0]):
        dx = corners[k, 0] - ox
        dy = corners[k, 1] - oy
        along = dx * c + dy * s
        across = -dx * s + dy * c
        if abs(along) < 0.5 * olength and abs(across) < 0.5 * owidth:
            return True
    return False


@njit(cache=True, error_model="numpy")
def track_state(bx, by, yaw, front_offset, wheel_offsets, centre, centre_cum, inner, inner_cum, outer, outer_cum,
                road_edges):
    """Everything the reward params need from the track for one car pose, in one call.

    Returns a float64 array:
      0 front x, 1 front y, 2 arc length of the front point on the centre line,
      3 distance from centre, 4-5 nearest centre point, 6-7 nearest inner border
      point to that centre point, 8-9 nearest outer border point, 10 distance
      front point→inner point, 11 distance front point→outer point,
      12 number of wheel centres on the road, 13 index of the closest centre segment.
    """
    out = np.empty(14)
    c = math.cos(yaw)
    s = math.sin(yaw)
    fx = bx + front_offset * c
    fy = by + front_offset * s
    arc, dist, cx, cy, seg = project_point(fx, fy, centre, centre_cum)
    _, _, ix, iy, _ = project_point(cx, cy, inner, inner_cum)
    _, _, ox, oy, _ = project_point(cx, cy, outer, outer_cum)
    on_road = 0
    for k in range(wheel_offsets.shape[0]):
        wx = bx + wheel_offsets[k, 0] * c - wheel_offsets[k, 1] * s
        wy = by + wheel_offsets[k, 0] * s + wheel_offsets[k, 1] * c
        if point_in_polygon(wx, wy, road_edges):
            on_road += 1
    out[0] = fx
    out[1] = fy
    out[2] = arc
    out[3] = dist
    out[4] = cx
    out[5] = cy
    out[6] = ix
    out[7] = iy
    out[8] = ox
    out[9] = oy
    out[10] = math.hypot(fx - ix, fy - iy)
    out[11] = math.hypot(fx - ox, fy - oy)
    out[12] = on_road
    out[13] = seg
    return out
