"""What sim_node shows the ROS world: sensor messages, frames (REP-103/105) and RViz markers.

Every number about where the sensors sit comes from deepracer_common.sensor_geometry, the
one place the renderer, the LIDAR caster, the Gazebo models and these frames agree on.

Frames: map → odom (identity: the simulator knows the true pose, so odometry does not drift)
→ base_link (the car, on the floor between the axles) → camera_link (the lens, pitched 15°
down) → camera_optical_frame (z forward, x right, y down), left/right_camera_optical_frame for
stereo, and base_link → laser (yawed by π: the LIDAR faces the rear).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from builtin_interfaces.msg import Time
from geometry_msgs.msg import Point, Quaternion, TransformStamped
from nav_msgs.msg import Odometry
from sensor_msgs.msg import CameraInfo, LaserScan
from std_msgs.msg import ColorRGBA
from visualization_msgs.msg import Marker

from deepracer_common import sensor_geometry as g
from deepracer_common.ros import names

# RViz colours (r, g, b, a).
BORDER_COLOUR = (1.0, 1.0, 1.0, 1.0)
CENTRE_COLOUR = (1.0, 0.85, 0.1, 1.0)
WAYPOINT_COLOUR = (0.2, 0.6, 1.0, 1.0)
TEXT_COLOUR = (0.9, 0.9, 0.9, 1.0)
BOX_COLOUR = (0.77, 0.63, 0.44, 1.0)
BOT_COLOUR = (0.84, 0.2, 0.18, 1.0)
CAR_COLOUR = (0.1, 0.75, 0.3, 1.0)
OBJECT_KIND_BOT_CAR = 1


def stamp_of(seconds: float) -> Time:
    whole = math.floor(seconds)
    return Time(sec=int(whole), nanosec=min(999_999_999, int(round((seconds - whole) * 1e9))))


def quaternion_rpy(roll: float, pitch: float, yaw: float) -> Quaternion:
    cr, sr = math.cos(roll / 2), math.sin(roll / 2)
    cp, sp = math.cos(pitch / 2), math.sin(pitch / 2)
    cy, sy = math.cos(yaw / 2), math.sin(yaw / 2)
    return Quaternion(
        x=sr * cp * cy - cr * sp * sy,
        y=cr * sp * cy + sr * cp * sy,
        z=cr * cp * sy - sr * sp * cy,
        w=cr * cp * cy + sr * sp * sy,
    )


def transform(parent: str, child: str, xyz: Sequence[float], rotation: Quaternion, stamp: Time) -> TransformStamped:
    t = TransformStamped()
    t.header.stamp = stamp
    t.header.frame_id = parent
    t.child_frame_id = child
    t.transform.translation.x, t.transform.translation.y, t.transform.translation.z = (float(v) for v in xyz)
    t.transform.rotation = rotation
    return t


# The optical frame turns the camera link's (x forward, y left, z up) into (z forward, x right, y down).
OPTICAL_ROTATION = quaternion_rpy(-math.pi / 2, 0.0, -math.pi / 2)


def static_transforms(stamp: Time, stereo: bool) -> list[TransformStamped]:
    identity = quaternion_rpy(0.0, 0.0, 0.0)
    frames = [
        transform(names.MAP_FRAME, names.ODOM_FRAME, (0.0, 0.0, 0.0), identity, stamp),
        transform(names.BASE_FRAME, names.CAMERA_FRAME, g.CAMERA_OFFSET_XYZ, quaternion_rpy(0.0, g.CAMERA_PITCH, 0.0), stamp),
        transform(names.CAMERA_FRAME, names.CAMERA_OPTICAL_FRAME, (0.0, 0.0, 0.0), OPTICAL_ROTATION, stamp),
        transform(names.BASE_FRAME, names.LASER_FRAME, g.LIDAR_OFFSET_XYZ, quaternion_rpy(0.0, 0.0, g.LIDAR_MOUNT_YAW), stamp),
    ]
    if stereo:
        frames += [
            transform(names.CAMERA_FRAME, names.LEFT_CAMERA_OPTICAL_FRAME, (0.0, g.STEREO_BASELINE_Y, 0.0), OPTICAL_ROTATION,
                      stamp),
            transform(names.CAMERA_FRAME, names.RIGHT_CAMERA_OPTICAL_FRAME, (0.0, -g.STEREO_BASELINE_Y, 0.0),
                      OPTICAL_ROTATION, stamp),
        ]
    return frames


def odom_transform(x: float, y: float, yaw: float, stamp: Time) -> TransformStamped:
    return transform(names.ODOM_FRAME, names.BASE_FRAME, (x, y, 0.0), quaternion_rpy(0.0, 0.0, yaw), stamp)


def odometry(state: np.ndarray, stamp: Time) -> Odometry:
    """Odometry of the car state (x, y, yaw, vx, vy, yaw rate, ...): pose in odom, twist in base_link."""
    msg = Odometry()
    msg.header.stamp = stamp
    msg.header.frame_id = names.ODOM_FRAME
    msg.child_frame_id = names.BASE_FRAME
    msg.pose.pose.position.x = float(state[0])
    msg.pose.pose.position.y = float(state[1])
    msg.pose.pose.orientation = quaternion_rpy(0.0, 0.0, float(state[2]))
    msg.twist.twist.linear.x = float(state[3])
    msg.twist.twist.linear.y = float(state[4])
    msg.twist.twist.angular.z = float(state[5])
    return msg


def camera_info(stamp: Time, frame_id: str) -> CameraInfo:
    """The pinhole model of the 160x120 observation frame (no distortion: the renderer is a pinhole)."""
    k = g.camera_intrinsics(g.IMAGE_WIDTH, g.IMAGE_HEIGHT)
    msg = CameraInfo()
    msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    msg.width, msg.height = g.IMAGE_WIDTH, g.IMAGE_HEIGHT
    msg.distortion_model = "plumb_bob"
    msg.d = [0.0] * 5
    msg.k = [float(v) for v in k.ravel()]
    msg.r = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    msg.p = [float(k[0, 0]), 0.0, float(k[0, 2]), 0.0, 0.0, float(k[1, 1]), float(k[1, 2]), 0.0, 0.0, 0.0, 1.0, 0.0]
    return msg


def laser_scan(ranges: np.ndarray, stamp: Time) -> LaserScan:
    """The 64 rays over ±150° in the laser frame; inf where nothing was hit within 12 m."""
    msg = LaserScan()
    msg.header.stamp = stamp
    msg.header.frame_id = names.LASER_FRAME
    msg.angle_min = float(g.LIDAR_ANGLE_MIN)
    msg.angle_max = float(g.LIDAR_ANGLE_MAX)
    msg.angle_increment = float(g.LIDAR_ANGLE_INCREMENT)
    msg.time_increment = 0.0
    msg.scan_time = float(1.0 / g.LIDAR_RATE_HZ)
    msg.range_min = float(g.LIDAR_RANGE_MIN)
    msg.range_max = float(g.LIDAR_RANGE_MAX)
    msg.ranges = [float(v) for v in ranges]
    return msg


def _marker(namespace: str, marker_id: int, kind: int, colour, stamp: Time) -> Marker:
    m = Marker()
    m.header.frame_id = names.MAP_FRAME
    m.header.stamp = stamp
    m.ns = namespace
    m.id = marker_id
    m.type = kind
    m.action = Marker.ADD
    m.pose.orientation.w = 1.0
    m.color = ColorRGBA(r=colour[0], g=colour[1], b=colour[2], a=colour[3])
    return m


def _line(namespace: str, marker_id: int, xy: np.ndarray, width: float, colour, stamp: Time) -> Marker:
    m = _marker(namespace, marker_id, Marker.LINE_STRIP, colour, stamp)
    m.scale.x = width
    m.points = [Point(x=float(x), y=float(y), z=0.0) for x, y in xy]
    return m


def track_markers(track, stamp: Time) -> list[Marker]:
    """Borders, centre line and the numbered waypoints, in the driving direction's order."""
    clear = Marker()
    clear.action = Marker.DELETEALL  # a new track replaces the old one's markers
    markers = [
        clear,
        _line("borders", 0, track.inner, 0.05, BORDER_COLOUR, stamp),
        _line("borders", 1, track.outer, 0.05, BORDER_COLOUR, stamp),
        _line("centre_line", 0, track.centre, 0.02, CENTRE_COLOUR, stamp),
    ]
    dots = _marker("waypoints", 0, Marker.SPHERE_LIST, WAYPOINT_COLOUR, stamp)
    dots.scale.x = dots.scale.y = dots.scale.z = 0.06
    dots.points = [Point(x=float(x), y=float(y), z=0.0) for x, y in track.centre]
    markers.append(dots)
    for index, (x, y) in enumerate(track.centre):
        label = _marker("waypoint_numbers", index, Marker.TEXT_VIEW_FACING, TEXT_COLOUR, stamp)
        label.pose.position.x, label.pose.position.y, label.pose.position.z = float(x), float(y), 0.12
        label.scale.z = 0.12
        label.text = str(index)
        markers.append(label)
    return markers


def _box(namespace: str, marker_id: int, x, y, yaw, length, width, height, colour, stamp: Time) -> Marker:
    m = _marker(namespace, marker_id, Marker.CUBE, colour, stamp)
    m.pose.position.x, m.pose.position.y, m.pose.position.z = float(x), float(y), float(height) / 2.0
    m.pose.orientation = quaternion_rpy(0.0, 0.0, float(yaw))
    m.scale.x, m.scale.y, m.scale.z = float(length), float(width), float(height)
    return m


def dynamic_markers(car_pose: Sequence[float], car_size: Sequence[float], objects: np.ndarray,
                    stamp: Time) -> list[Marker]:
    """The car (pose x, y, yaw; size length, width, height) and every obstacle (ns obstacles) and bot car
    (ns bot_cars; object rows x, y, yaw, length, width, height, kind) as boxes of their true size."""
    x, y, yaw = car_pose
    markers = [_box("car", 0, x, y, yaw, *car_size, CAR_COLOUR, stamp)]
    for index, row in enumerate(np.asarray(objects).reshape(-1, 7)):
        bot = int(row[6]) == OBJECT_KIND_BOT_CAR
        markers.append(_box("bot_cars" if bot else "obstacles", index, *row[:6], BOT_COLOUR if bot else BOX_COLOUR,
                            stamp))
    return markers
