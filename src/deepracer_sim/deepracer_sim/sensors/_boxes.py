"""Drawing box obstacles and bot cars into a camera frame (compiled with numba).

Each object is a box standing on the floor. Its faces that look towards the lens are
projected and filled as convex polygons, far objects first so nearer ones paint over them.
Anti-aliasing: an edge on the object's outline blends with what is behind by the pixel's
signed distance to it; an edge shared with another drawn face of the same box is a hard
split, so neighbouring faces meet without a seam of background showing through.
Bot cars are drawn as two stacked bands (dark chassis, coloured shell).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from deepracer_sim.sensors._kernels import FASTMATH

NEAR_PLANE = 0.02          # m in front of the lens; geometry closer than this is clipped
MAX_DRAW_DISTANCE = 30.0   # m; objects further away cover less than a pixel anyway
_MAX_VERTICES = 8


@njit(cache=True, fastmath=FASTMATH)
def _to_camera(wx, wy, wz, lens_x, lens_y, lens_z, c, s, cos_pitch, sin_pitch):
    """World point -> (forward, left, up) in the camera's axes."""
    rx = wx - lens_x
    ry = wy - lens_y
    rz = wz - lens_z
    ax = c * rx + s * ry
    ay = -s * rx + c * ry
    return ax * cos_pitch - rz * sin_pitch, ay, ax * sin_pitch + rz * cos_pitch


@njit(cache=True, fastmath=FASTMATH, boundscheck=False)
def _fill_polygon(cam, hard, count, colour, image, width, height, focal, cx, cy,
                  wall_check, wall_dist, pixel_bin, pixel_slope, lens_z, wall_height, object_distance,
                  scratch_xy, scratch_hard, coverage):
    """Fill the convex polygon cam[:count] (camera axes) with `colour`.

    hard[i] marks edge i (vertex i -> i+1) as shared with another drawn face.
    """
    # Clip against the near plane (Sutherland-Hodgman), carrying the edge flags along.
    n_out = 0
    for i in range(count):
        j = (i + 1) % count
        fi = cam[i, 0]
        fj = cam[j, 0]
        inside_i = fi >= NEAR_PLANE
        inside_j = fj >= NEAR_PLANE
        if inside_i:
            scratch_xy[n_out, 0] = cx - focal * cam[i, 1] / fi
            scratch_xy[n_out, 1] = cy - focal * cam[i, 2] / fi
            scratch_hard[n_out] = hard[i]
            n_out += 1
        if inside_i != inside_j:
            t = (NEAR_PLANE - fi) / (fj - fi)
            left = cam[i, 1] + t * (cam[j, 1] - cam[i, 1])
            up = cam[i, 2] + t * (cam[j, 2] - cam[i, 2])
            scratch_xy[n_out, 0] = cx - focal * left / NEAR_PLANE
            scratch_xy[n_out, 1] = cy - focal * up / NEAR_PLANE
            # Entering, the new vertex starts the rest of edge i; leaving, it starts the
            # edge along the near plane, which no neighbour shares but nobody sees either.
            scratch_hard[n_out] = hard[i] if inside_j else True
            n_out += 1
    if n_out < 3:
        return
    area = 0.0
    for i in range(n_out):
        j = (i + 1) % n_out
        area += scratch_xy[i, 0] * scratch_xy[j, 1] - scratch_xy[j, 0] * scratch_xy[i, 1]
    if abs(area) < 1e-9:
        return
    orientation = 1.0 if area > 0.0 else -1.0
    # Edge functions a*x + b*y + e: the signed distance in pixels, positive inside.
    edges = np.empty((_MAX_VERTICES, 3))
    for i in range(n_out):
        j = (i + 1) % n_out
        x0, y0 = scratch_xy[i, 0], scratch_xy[i, 1]
        x1, y1 = scratch_xy[j, 0], scratch_xy[j, 1]
        a = (y0 - y1) * orientation
        b = (x1 - x0) * orientation
        length = math.sqrt(a * a + b * b)
        if length < 1e-12:
            edges[i, 0], edges[i, 1], edges[i, 2] = 0.0, 0.0, 1.0
            continue
        edges[i, 0] = a / length
        edges[i, 1] = b / length
        edges[i, 2] = -(edges[i, 0] * x0 + edges[i, 1] * y0)
    x_lo, x_hi, y_lo, y_hi = 1e9, -1e9, 1e9, -1e9
    for i in range(n_out):
        x_lo = min(x_lo, scratch_xy[i, 0])
        x_hi = max(x_hi, scratch_xy[i, 0])
        y_lo = min(y_lo, scratch_xy[i, 1])
        y_hi = max(y_hi, scratch_xy[i, 1])
    x_lo = max(x_lo, -2.0)
    x_hi = min(x_hi, width + 2.0)
    y_lo = max(y_lo, -2.0)
    y_hi = min(y_hi, height + 2.0)
    row0 = max(int(math.floor(y_lo - 1.0)), 0)
    row1 = min(int(math.ceil(y_hi + 1.0)), height - 1)
    col_min = max(int(math.floor(x_lo - 1.0)), 0)
    col_max = min(int(math.ceil(x_hi + 1.0)), width - 1)
    channels = image.shape[0]
    # Per edge, the column where a*(col + 0.5) + b*yc + e + margin = 0 is base + slope * yc:
    # inside lies at or after it for a > 0 (a lower bound on col), at or before it for a < 0.
    bound_base = np.empty(_MAX_VERTICES)
    bound_slope = np.empty(_MAX_VERTICES)
    kind = np.empty(_MAX_VERTICES, dtype=np.int64)    # 1 lower bound, -1 upper bound, 0 horizontal
    for i in range(n_out):
        a = edges[i, 0]
        margin = 0.0 if scratch_hard[i] else 0.5
        if abs(a) < 1e-12:
            kind[i] = 0
            bound_base[i] = edges[i, 2] + margin
            bound_slope[i] = edges[i, 1]
        else:
            kind[i] = 1 if a > 0.0 else -1
            bound_base[i] = -(edges[i, 2] + margin) / a - 0.5
            bound_slope[i] = -edges[i, 1] / a
    for row in range(row0, row1 + 1):
        yc = row + 0.5
        # Columns where the pixel centre is inside every hard edge and within half a pixel
        # of every soft one.
        lo = float(col_min)
        hi = float(col_max)
        for i in range(n_out):
            bound = bound_base[i] + bound_slope[i] * yc
            if kind[i] > 0:
                lo = max(lo, math.ceil(bound))
            elif kind[i] < 0:
                hi = min(hi, math.floor(bound))
            elif bound < 0.0:
                hi = -1.0
        if lo > hi:
            continue
        c0 = int(lo)
        n_cols = int(hi) - c0 + 1
        for k in range(n_cols):
            coverage[k] = 1.0
        for i in range(n_out):
            if scratch_hard[i]:
                continue
            # Coverage by this edge, a + k * slope at column c0 + k, is below 1 only within
            # about a pixel of the edge: visit just those columns.
            a = edges[i, 0]
            rest = edges[i, 1] * yc + edges[i, 2] + 0.5 + a * (c0 + 0.5)
            k_lo, k_hi = 0, n_cols - 1
            if a > 1e-12:
                k_hi = min(k_hi, int(math.ceil((1.0 - rest) / a)))
            elif a < -1e-12:
                k_lo = max(k_lo, int(math.floor((1.0 - rest) / a)))
            elif rest >= 1.0:
                continue    # a horizontal edge more than a pixel away
            for k in range(k_lo, k_hi + 1):
                coverage[k] *= min(max(rest + a * k, 0.0), 1.0)
        row_start = row * width + c0
        if wall_check:
            for k in range(n_cols):
                p = row_start + k
                d = wall_dist[pixel_bin[p]]
                if d < object_distance:
                    z = lens_z + pixel_slope[p] * d
                    if 0.0 <= z <= wall_height:
                        coverage[k] = 0.0
        for ch in range(channels):
            value = np.float32(colour[ch])
            target = image[ch, row_start:row_start + n_cols]
            for k in range(n_cols):
                target[k] += (value - target[k]) * coverage[k]


@njit(cache=True, fastmath=FASTMATH, boundscheck=False)
def draw_objects(objects, j0, j1, lens_x, lens_y, lens_z, c, s, focal, cx, cy, cos_pitch, sin_pitch,
                 wall_check, wall_dist, pixel_bin, pixel_slope, wall_height,
                 object_colours, chassis_fraction, light_azimuth, ambient, image, width, height):
    """Draw objects[j0:j1] ([x, y, yaw, length, width, height, kind] rows) over image (channels, pixels)."""
    count = j1 - j0
    if count <= 0:
        return
    channels = image.shape[0]
    distance = np.empty(count)
    for k in range(count):
        dx = objects[j0 + k, 0] - lens_x
        dy = objects[j0 + k, 1] - lens_y
        distance[k] = math.sqrt(dx * dx + dy * dy)
    order = np.argsort(-distance)

    footprint = np.empty((4, 2))
    facing = np.zeros(4, dtype=np.bool_)
    side_angle = np.empty(4)
    cam = np.empty((4, 3))
    hard = np.zeros(4, dtype=np.bool_)
    colour = np.empty(channels)
    scratch_xy = np.empty((_MAX_VERTICES, 2))
    scratch_hard = np.zeros(_MAX_VERTICES, dtype=np.bool_)
    coverage = np.empty(width + 2, dtype=np.float32)
    bands = np.empty((2, 3))   # z0, z1, colour part

    for k in order:
        if distance[k] > MAX_DRAW_DISTANCE:
            continue
        j = j0 + k
        bx, by, yaw_b = objects[j, 0], objects[j, 1], objects[j, 2]
        hl, hw, top = 0.5 * objects[j, 3], 0.5 * objects[j, 4], objects[j, 5]
        kind = int(objects[j, 6])
        cb, sb = math.cos(yaw_b), math.sin(yaw_b)
        # Footprint corners counter-clockwise seen from above; side i runs from corner i to i+1.
        for i in range(4):
            ex = hl if (i == 0 or i == 3) else -hl
            ey = hw if i < 2 else -hw
            footprint[i, 0] = bx + cb * ex - sb * ey
            footprint[i, 1] = by + sb * ex + cb * ey
        for i in range(4):
            n = (i + 1) % 4
            # Outward normal of a counter-clockwise edge points to its right.
            nx = footprint[n, 1] - footprint[i, 1]
            ny = -(footprint[n, 0] - footprint[i, 0])
            facing[i] = (lens_x - footprint[i, 0]) * nx + (lens_y - footprint[i, 1]) * ny > 0.0
            side_angle[i] = math.atan2(ny, nx)
        top_facing = lens_z > top
        # An object's distance for wall occlusion: its nearest footprint point, roughly.
        near_distance = distance[k] - math.sqrt(hl * hl + hw * hw)
        n_bands = 1
        bands[0, 0], bands[0, 1], bands[0, 2] = 0.0, top, 0.0
        if kind == 1:
            split = chassis_fraction * top
            n_bands = 2
            bands[0, 0], bands[0, 1], bands[0, 2] = 0.0, split, 1.0
            bands[1, 0], bands[1, 1], bands[1, 2] = split, top, 0.0
        for i in range(4):
            if not facing[i]:
                continue
            n = (i + 1) % 4
            shade = ambient + (1.0 - ambient) * 0.8 * (0.5 + 0.5 * math.cos(side_angle[i] - light_azimuth))
            for band in range(n_bands):
                z0, z1, part = bands[band, 0], bands[band, 1], int(bands[band, 2])
                corners = ((footprint[i, 0], footprint[i, 1], z0), (footprint[n, 0], footprint[n, 1], z0),
                           (footprint[n, 0], footprint[n, 1], z1), (footprint[i, 0], footprint[i, 1], z1))
                for v in range(4):
                    f, l, u = _to_camera(corners[v][0], corners[v][1], corners[v][2], lens_x, lens_y, lens_z,
                                         c, s, cos_pitch, sin_pitch)
                    cam[v, 0], cam[v, 1], cam[v, 2] = f, l, u
                hard[0] = z0 > 0.0                                 # bottom: floor contact unless a band split
                hard[1] = facing[n]                                # vertical edge shared with the next side
                hard[2] = z1 < top or top_facing                   # top: band split or the lid
                hard[3] = facing[(i + 3) % 4]                      # vertical edge shared with the previous side
                for ch in range(channels):
                    colour[ch] = shade * object_colours[kind, part, ch]
                _fill_polygon(cam, hard, 4, colour, image, width, height, focal, cx, cy,
                              wall_check, wall_dist, pixel_bin, pixel_slope, lens_z, wall_height, near_distance,
                              scratch_xy, scratch_hard, coverage)
        if top_facing:
            for v in range(4):
                f, l, u = _to_camera(footprint[v, 0], footprint[v, 1], top, lens_x, lens_y, lens_z,
                                     c, s, cos_pitch, sin_pitch)
                cam[v, 0], cam[v, 1], cam[v, 2] = f, l, u
                hard[v] = facing[v]
            for ch in range(channels):
                colour[ch] = object_colours[kind, 0, ch]
            _fill_polygon(cam, hard, 4, colour, image, width, height, focal, cx, cy,
                          wall_check, wall_dist, pixel_bin, pixel_slope, lens_z, wall_height, near_distance,
                          scratch_xy, scratch_hard, coverage)
