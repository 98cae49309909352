"""Conversions between the simulator's Python values and the stack's messages, both directions.

sim_node packs reward params, episode status, track and images into messages; agent_node unpacks
them into exactly the dict the embedded simulator hands a reward function (same keys, same
Python types, float64 values bit for bit), so a reward function cannot tell the two apart.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from geometry_msgs.msg import Point
from sensor_msgs.msg import Image

from deepracer_common import sensor_geometry as geometry
from deepracer_interfaces.msg import EpisodeStatus, RewardParams, TrackInfo

# Params whose message field has another name or type than the dict value.
_SCALAR_FLOAT = ("x", "y", "heading", "distance_from_center", "progress", "steps", "speed", "steering_angle",
                 "track_width", "track_length", "projection_distance", "sim_time")
_SCALAR_BOOL = ("all_wheels_on_track", "is_left_of_center", "is_reversed", "is_offtrack", "is_crashed",
                "object_in_camera")
_FLOAT_LISTS = ("objects_speed", "objects_heading", "objects_distance", "objects_distance_from_center")


class MessageError(ValueError):
    """A message does not hold what its type promises (wrong size, encoding, length)."""


def params_to_msg(params: dict, msg: RewardParams | None = None) -> RewardParams:
    msg = msg or RewardParams()
    for key in _SCALAR_FLOAT:
        setattr(msg, key, float(params[key]))
    for key in _SCALAR_BOOL:
        setattr(msg, key, bool(params[key]))
    msg.closest_waypoints = [int(v) for v in params["closest_waypoints"]]
    msg.closest_objects = [int(v) for v in params["closest_objects"]]
    msg.objects_location = [Point(x=float(x), y=float(y)) for x, y in params["objects_location"]]
    msg.objects_left_of_center = [bool(v) for v in params["objects_left_of_center"]]
    for key in _FLOAT_LISTS:
        setattr(msg, key, [float(v) for v in params[key]])
    return msg


def msg_to_params(msg: RewardParams, waypoints: list[tuple[float, float]]) -> dict[str, Any]:
    """The reward function's params dict, in the embedded simulator's key order and types."""
    return {
        "all_wheels_on_track": bool(msg.all_wheels_on_track),
        "x": float(msg.x),
        "y": float(msg.y),
        "heading": float(msg.heading),
        "distance_from_center": float(msg.distance_from_center),
        "is_left_of_center": bool(msg.is_left_of_center),
        "progress": float(msg.progress),
        "steps": float(msg.steps),
        "speed": float(msg.speed),
        "steering_angle": float(msg.steering_angle),
        "track_width": float(msg.track_width),
        "track_length": float(msg.track_length),
        "waypoints": list(waypoints),
        "closest_waypoints": [int(v) for v in msg.closest_waypoints],
        "is_reversed": bool(msg.is_reversed),
        "is_offtrack": bool(msg.is_offtrack),
        "is_crashed": bool(msg.is_crashed),
        "closest_objects": [int(v) for v in msg.closest_objects],
        "objects_location": [[float(p.x), float(p.y)] for p in msg.objects_location],
        "objects_left_of_center": [bool(v) for v in msg.objects_left_of_center],
        "objects_speed": [float(v) for v in msg.objects_speed],
        "objects_heading": [float(v) for v in msg.objects_heading],
        "objects_distance": [float(v) for v in msg.objects_distance],
        "projection_distance": float(msg.projection_distance),
        "objects_distance_from_center": [float(v) for v in msg.objects_distance_from_center],
        "object_in_camera": bool(msg.object_in_camera),
        "sim_time": float(msg.sim_time),
    }


def points(xy: np.ndarray | Sequence[Sequence[float]]) -> list[Point]:
    return [Point(x=float(x), y=float(y), z=0.0) for x, y in np.asarray(xy, dtype=np.float64)[:, :2]]


def track_to_msg(track, msg: TrackInfo | None = None) -> TrackInfo:
    msg = msg or TrackInfo()
    msg.name = str(track.name)
    msg.length = float(track.length)
    msg.width = float(track.width)
    msg.is_reversed = bool(track.is_reversed)
    msg.is_loop = bool(track.is_loop)
    msg.waypoints = points(track.centre)
    msg.inner_border = points(track.inner)
    msg.outer_border = points(track.outer)
    return msg


def waypoints_from_track_msg(msg: TrackInfo) -> list[tuple[float, float]]:
    return [(float(p.x), float(p.y)) for p in msg.waypoints]


def status_to_msg(status: dict, msg: EpisodeStatus | None = None) -> EpisodeStatus:
    """EpisodeStatus from a dict with the message's field names (missing counters stay 0)."""
    msg = msg or EpisodeStatus()
    msg.episode = int(status.get("episode", 0))
    msg.steps = float(status.get("steps", 0.0))
    msg.status = str(status.get("status", ""))
    msg.done = bool(status.get("done", False))
    msg.progress = float(status.get("progress", 0.0))
    msg.lap_time = float(status.get("lap_time", 0.0))
    msg.pause_duration = float(status.get("pause_duration", 0.0))
    msg.reset_count = int(status.get("reset_count", 0))
    msg.obstacle_crash_counter = int(status.get("obstacle_crash_counter", 0))
    return msg


def mono8_image(frame: np.ndarray, stamp, frame_id: str) -> Image:
    """sensor_msgs/Image mono8 from an (H, W) or (H, W, 1) uint8 frame."""
    frame = np.ascontiguousarray(frame, dtype=np.uint8)
    if frame.ndim == 3 and frame.shape[2] == 1:
        frame = frame[:, :, 0]
    if frame.ndim != 2:
        raise MessageError(f"a mono8 frame must be (H, W) or (H, W, 1), got shape {frame.shape}")
    msg = Image()
    msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    msg.height, msg.width = int(frame.shape[0]), int(frame.shape[1])
    msg.encoding = "mono8"
    msg.is_bigendian = 0
    msg.step = msg.width
    msg.data = frame.tobytes()
    return msg


# Grayscale as the simulator computes it (RL-Coach ObservationRGBToYFilter), for colour cameras.
_LUMA = np.asarray(geometry.LUMA_WEIGHTS, dtype=np.float64)
_CHANNELS = {"mono8": 1, "8UC1": 1, "rgb8": 3, "bgr8": 3, "rgba8": 4, "bgra8": 4}


def image_to_gray(msg: Image, width: int, height: int) -> np.ndarray:
    """An Image message as an (height, width, 1) uint8 grey frame, or MessageError naming what is wrong.

    Accepts mono8, rgb8, bgr8, rgba8 and bgra8. Colour is converted with the simulator's luma weights
    (on the car, inference_node uses OpenCV's, which differ in the third decimal). A frame of another
    size is an error, not silently resized: the car's camera_node publishes 160x120 already.
    """
    channels = _CHANNELS.get(msg.encoding)
    if channels is None:
        raise MessageError(f"unsupported image encoding '{msg.encoding}' (use mono8, rgb8 or bgr8)")
    if (msg.width, msg.height) != (width, height):
        raise MessageError(f"image is {msg.width}x{msg.height}, the model needs {width}x{height}")
    row_bytes = msg.width * channels
    if msg.step < row_bytes or len(msg.data) < msg.step * msg.height:
        raise MessageError(
            f"image data is {len(msg.data)} bytes with step {msg.step}; {msg.encoding} {msg.width}x{msg.height} "
            f"needs at least {row_bytes * msg.height}")
    data = np.frombuffer(msg.data, dtype=np.uint8, count=msg.step * msg.height).reshape(msg.height, msg.step)
    pixels = data[:, :row_bytes].reshape(msg.height, msg.width, channels)
    if channels == 1:
        return pixels.copy()
    rgb = pixels[:, :, :3].astype(np.float64)
    if msg.encoding.startswith("bgr"):
        rgb = rgb[:, :, ::-1]
    grey = rgb @ _LUMA
    return np.clip(np.floor(grey + 0.5), 0, 255).astype(np.uint8)[:, :, None]
