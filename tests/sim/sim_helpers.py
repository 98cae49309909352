"""Shared helpers for the simulator tests."""
import math

from deepracer_sim.car.parameters import WHEELBASE


def follow_centre(track, pose, lookahead=0.35, offset=0.0):
    """Pure-pursuit steering (deg, + left) toward the centre line `lookahead` m ahead (optionally shifted left)."""
    x, y, yaw = pose
    arc, _ = track.project(x, y)
    target_arc = arc + lookahead
    if not track.is_loop:
        target_arc = min(target_arc, track.length)
    tx, ty = track.point_at(target_arc)
    if offset:
        heading = track.heading_at(target_arc)
        tx, ty = tx - offset * math.sin(heading), ty + offset * math.cos(heading)
    dx, dy = tx - x, ty - y
    alpha = math.atan2(dy, dx) - yaw
    distance = math.hypot(dx, dy)
    return math.degrees(math.atan2(2.0 * WHEELBASE * math.sin(alpha), distance))
