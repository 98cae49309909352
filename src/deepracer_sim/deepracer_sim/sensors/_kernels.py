"""Compiled inner loops shared by the camera and the LIDAR (numba, cached on disk).

Kept apart from the Python classes so the classes stay readable and all the numba-specific
restrictions (flat arrays, no objects) live in one file.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

TWO_PI = 2.0 * math.pi
# Every fast-math licence except "no NaNs" and "no infinities": the kernels use inf as
# "nothing hit", and with those two flags LLVM may fold `d == inf` to False.
FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}


@njit(cache=True, fastmath=FASTMATH)
def _wrap_pi(angle):
    return (angle + math.pi) % TWO_PI - math.pi


@njit(cache=True)
def cast_segments_polar(ox, oy, heading, segments, first_angle, angle_step, bin_cos, bin_sin, out_dist, out_seg):
    """Nearest hit of each of a fan of rays from (ox, oy) against 2-D segments.

    Ray k points at heading + first_angle + k * angle_step (bin_cos/bin_sin hold the
    direction relative to the heading). Instead of testing every ray against every segment,
    each segment visits only the rays inside the angle it subtends, so the cost grows with
    segments + hits, not segments x rays. out_dist/out_seg are updated where a segment is
    nearer than what they already hold (the caller fills them with inf/-1 first).
    """
    nbins = out_dist.shape[0]
    c = math.cos(heading)
    s = math.sin(heading)
    span_all = angle_step * (nbins - 1)
    for j in range(segments.shape[0]):
        ax = segments[j, 0] - ox
        ay = segments[j, 1] - oy
        bx = segments[j, 2] - ox
        by = segments[j, 3] - oy
        # Into the sensor frame, so the fan's directions are the fixed bin_cos/bin_sin.
        p1x = c * ax + s * ay
        p1y = -s * ax + c * ay
        p2x = c * bx + s * by
        p2y = -s * bx + c * by
        ex = p2x - p1x
        ey = p2y - p1y
        a1 = math.atan2(p1y, p1x)
        a2 = math.atan2(p2y, p2x)
        delta = _wrap_pi(a2 - a1)
        if delta >= 0.0:
            low = a1
            span = delta
        else:
            low = a2
            span = -delta
        rel = (low - first_angle) % TWO_PI
        numerator = p1x * ey - p1y * ex
        for start in (rel, rel - TWO_PI):
            end = start + span
            if end < 0.0 or start > span_all:
                continue
            k0 = max(0, int(math.ceil(start / angle_step)))
            k1 = min(nbins - 1, int(math.floor(end / angle_step)))
            for k in range(k0, k1 + 1):
                denom = bin_cos[k] * ey - bin_sin[k] * ex
                if denom == 0.0:
                    continue
                t = numerator / denom
                if 0.0 < t < out_dist[k]:
                    out_dist[k] = t
                    out_seg[k] = j


@njit(cache=True)
def scan_batch(poses, mount_x, mount_z, fixed_segments, objects, object_begin, object_end,
               first_angle, angle_step, bin_cos, bin_sin, out):
    """LIDAR ranges for every pose against the fixed segments (walls) and the footprints of
    objects[object_begin[i]:object_end[i]] that reach the scan plane (height >= mount_z)."""
    hit = np.empty(out.shape[1], dtype=np.int64)
    footprint = np.empty((4 * max(objects.shape[0], 1), 4))
    for i in range(poses.shape[0]):
        yaw = poses[i, 2]
        ox = poses[i, 0] + math.cos(yaw) * mount_x
        oy = poses[i, 1] + math.sin(yaw) * mount_x
        ranges = out[i]
        ranges.fill(np.inf)
        cast_segments_polar(ox, oy, yaw, fixed_segments, first_angle, angle_step, bin_cos, bin_sin, ranges, hit)
        count = 0
        for j in range(object_begin[i], object_end[i]):
            if objects[j, 5] < mount_z:
                continue
            cb = math.cos(objects[j, 2])
            sb = math.sin(objects[j, 2])
            hl = 0.5 * objects[j, 3]
            hw = 0.5 * objects[j, 4]
            for corner in range(4):
                ex0 = hl if (corner == 0 or corner == 3) else -hl
                ey0 = hw if corner < 2 else -hw
                nxt = (corner + 1) % 4
                ex1 = hl if (nxt == 0 or nxt == 3) else -hl
                ey1 = hw if nxt < 2 else -hw
                footprint[count, 0] = objects[j, 0] + cb * ex0 - sb * ey0
                footprint[count, 1] = objects[j, 1] + sb * ex0 + cb * ey0
                footprint[count, 2] = objects[j, 0] + cb * ex1 - sb * ey1
                footprint[count, 3] = objects[j, 1] + sb * ex1 + cb * ey1
                count += 1
        if count:
            cast_segments_polar(ox, oy, yaw, footprint[:count], first_angle, angle_step, bin_cos, bin_sin,
                                ranges, hit)
