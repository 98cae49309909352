"""The reward function's `params` dict, with the AWS simulator's semantics (docs/deepracer-semantics.md#reward-params).

Points that differ from the AWS documentation but follow the simulator code:
- x, y are base_link + 0.14 m forward (the "front point"), not the car centre;
- closest_waypoints are the waypoints before/after the point by arc length;
- progress is measured from the episode's own start point (docs/deepracer-semantics.md#progress);
- objects_heading is in radians; speed and steering_angle are the commanded,
  unclipped action values; steps is a float counting the prepare step.

`reward_params()` is the public, stand-alone form: give it a track and a car
pose and it returns the dict a reward function would see (`deepracer params`
prints it as JSON). The environment uses `ParamsBuilder`, the same code with
the per-track work done once.
"""
from __future__ import annotations

import bisect
import math
import os
from typing import Any, Iterable, Sequence

import numpy as np

from deepracer_sim.car.parameters import FRONT_POINT_OFFSET, WHEEL_OFFSETS
from deepracer_sim.race.objects import BOT_CAR_SIZE, BOX_SIZE, ObjectsSnapshot
from deepracer_sim.tracks import Track, geometry, load_track

# Front camera (docs/deepracer-semantics.md#camera): lens relative to base_link, 15° down, 1.13 rad horizontal FOV, 4:3
# image.
CAMERA_OFFSET = (0.1453, 0.0, 0.1303)
CAMERA_PITCH = math.radians(15.0)
CAMERA_HFOV = 1.13
CAMERA_ASPECT = 480.0 / 640.0
CAMERA_NEAR, CAMERA_FAR = 0.02, 300.0

PARAM_KEYS = (
    "all_wheels_on_track",
    "x",
    "y",
    "heading",
    "distance_from_center",
    "is_left_of_center",
    "progress",
    "steps",
    "speed",
    "steering_angle",
    "track_width",
    "track_length",
    "waypoints",
    "closest_waypoints",
    "is_reversed",
    "is_offtrack",
    "is_crashed",
    "closest_objects",
    "objects_location",
    "objects_left_of_center",
    "objects_speed",
    "objects_heading",
    "objects_distance",
    "projection_distance",
    "objects_distance_from_center",
    "object_in_camera",
    "sim_time",
)


def compute_progress(ndist: float, start_ndist: float, prev_progress: float | None) -> float:
    """Progress in % from the episode's start point (docs/deepracer-semantics.md#progress).

    prev_progress None means "no previous step" (a stand-alone query): the
    finish-line corrections are skipped and the result lies in (0, 100].
    """
    progress = 100.0 * (ndist - start_ndist)
    if progress <= 0.0:
        progress += 100.0
    if prev_progress is not None:
        if prev_progress > progress + 50.0:
            progress += 100.0
        if progress > prev_progress + 50.0:
            progress -= 100.0
    return min(progress, 100.0)


_FLAT_LIST_KEYS = ("waypoints", "closest_waypoints", "closest_objects", "objects_left_of_center", "objects_speed",
                   "objects_heading", "objects_distance", "objects_distance_from_center")


def copy_params(params: dict) -> dict:
    """A deep copy of a params dict, fast: leaves are immutable, so only the lists are rebuilt.

    copy.deepcopy takes ~150 µs on a 119-waypoint dict, more than a whole
    simulator step; this takes a couple.
    """
    copied = dict(params)
    for key in _FLAT_LIST_KEYS:
        copied[key] = list(params[key])
    copied["objects_location"] = [list(v) for v in params["objects_location"]]
    return copied


class ParamsBuilder:
    """Builds params dicts for one track direction; construct once, call per step."""

    def __init__(self, track: Track):
        self.track = track
        self._waypoints = track.waypoints
        self._length = track.length
        self._is_reversed = track.is_reversed
        self._not_ccw = not track.is_ccw
        self._args = (
            FRONT_POINT_OFFSET,
            np.ascontiguousarray(WHEEL_OFFSETS),
            track.centre,
            track.centre_cum,
            track.inner,
            track.inner_cum,
            track.outer,
            track.outer_cum,
            track.road_edges,
        )

    def geometry(self, x: float, y: float, yaw: float) -> np.ndarray:
        """The numeric track state of a base_link pose (see geometry.track_state for the layout)."""
        return geometry.track_state(x, y, yaw, *self._args)

    def object_geometry(self, objects: ObjectsSnapshot) -> ObjectsSnapshot:
        """Fill the per-object track quantities (once per step, shared by params and rules)."""
        if len(objects) and objects.distance is None:
            track = self.track
            distance, from_centre, _ = geometry.project_points(
                np.ascontiguousarray(objects.xy, dtype=np.float64), track.centre, track.centre_cum
            )
            inner = geometry.points_in_polygon(np.ascontiguousarray(objects.xy, dtype=np.float64),
                                               track.inner_half_edges)
            objects.distance = distance
            objects.distance_from_center = from_centre
            objects.left_of_center = [bool(v) != self._not_ccw for v in inner]
        return objects

    def build(
        self,
        x: float,
        y: float,
        yaw: float,
        steering_angle: float,
        speed: float,
        start_ndist: float,
        prev_progress: float | None,
        steps: float,
        is_crashed: bool = False,
        sim_time: float = 0.0,
        objects: ObjectsSnapshot | None = None,
        state: np.ndarray | None = None,
    ) -> dict[str, Any]:
        """The params dict for a base_link pose (x, y, yaw rad) and a commanded action."""
        g = self.geometry(x, y, yaw) if state is None else state
        front_x = float(g[0])
        front_y = float(g[1])
        arc = float(g[2])
        ndist = arc / self._length
        wheels_on = int(g[12])
        track_width = math.hypot(g[6] - g[8], g[7] - g[9])
        heading = (math.degrees(yaw) + 180.0) % 360.0 - 180.0  # in (-180, 180], as scipy's euler angles
        if heading == -180.0:
            heading = 180.0
        params = {
            "all_wheels_on_track": wheels_on == 4,
            "x": front_x,
            "y": front_y,
            "heading": heading,
            "distance_from_center": float(g[3]),
            "is_left_of_center": bool(g[10] < g[11]) != self._not_ccw,
            "progress": compute_progress(ndist, start_ndist, prev_progress),
            "steps": float(steps),
            "speed": float(speed),
            "steering_angle": float(steering_angle),
            "track_width": float(track_width),
            "track_length": self._length,
            "waypoints": list(self._waypoints),
            "closest_waypoints": self.track.closest_waypoints(ndist),
            "is_reversed": self._is_reversed,
            "is_offtrack": wheels_on == 0,
            "is_crashed": bool(is_crashed),
            "closest_objects": [0, 0],
            "objects_location": [],
            "objects_left_of_center": [],
            "objects_speed": [],
            "objects_heading": [],
            "objects_distance": [],
            "projection_distance": arc,
            "objects_distance_from_center": [],
            "object_in_camera": False,
            "sim_time": float(sim_time),
        }
        if objects is not None and len(objects):
            self._fill_objects(params, objects, arc, x, y, yaw)
        return params

    def _fill_objects(self, params: dict, objects: ObjectsSnapshot, arc: float, x: float, y: float,
                      yaw: float) -> None:
        self.object_geometry(objects)
        count = len(objects)
        distances = objects.distance.tolist()
        order = sorted(range(count), key=distances.__getitem__)
        sorted_distances = [distances[i] for i in order]
        nxt = bisect.bisect_right(sorted_distances, arc)
        prev = nxt - 1
        if prev == -1:
            prev = count - 1
        if nxt == count:
            nxt = 0
        params["closest_objects"] = [order[prev], order[nxt]]
        params["objects_location"] = [[float(px), float(py)] for px, py in objects.xy]
        params["objects_left_of_center"] = list(objects.left_of_center)
        speed = float(objects.bot_car_speed) if objects.has_bot_cars else 0.0
        params["objects_speed"] = [speed] * count
        if objects.has_bot_cars:
            params["objects_heading"] = [float(h) for h in objects.heading]
        else:
            params["objects_heading"] = [0.0] * count
        params["objects_distance"] = distances
        params["objects_distance_from_center"] = objects.distance_from_center.tolist()
        ahead = order[nxt]
        params["object_in_camera"] = object_in_camera(
            x, y, yaw, float(objects.xy[ahead, 0]), float(objects.xy[ahead, 1]), float(objects.half_height[ahead])
        )


def object_in_camera(x: float, y: float, yaw: float, ox: float, oy: float, oz: float) -> bool:
    """Whether a point (ox, oy, oz) lies inside the front camera's view frustum
    (docs/deepracer-semantics.md#object-params, cameras/frustum).

    We test the object's centre point; the simapp's frustum test works on the
    object position as well.
    """
    c, s = math.cos(yaw), math.sin(yaw)
    cam_x = x + CAMERA_OFFSET[0] * c - CAMERA_OFFSET[1] * s
    cam_y = y + CAMERA_OFFSET[0] * s + CAMERA_OFFSET[1] * c
    dx, dy, dz = ox - cam_x, oy - cam_y, oz - CAMERA_OFFSET[2]
    cp, sp = math.cos(CAMERA_PITCH), math.sin(CAMERA_PITCH)
    depth = (dx * c + dy * s) * cp - dz * sp
    lateral = -dx * s + dy * c
    up = (dx * c + dy * s) * sp + dz * cp
    if not CAMERA_NEAR < depth < CAMERA_FAR:
        return False
    half_w = math.tan(CAMERA_HFOV / 2.0)
    return abs(lateral) <= depth * half_w and abs(up) <= depth * half_w * CAMERA_ASPECT


# --------------------------------------------------------------------- stand-alone form
_BUILDERS: dict[int, tuple[Track, ParamsBuilder]] = {}


def builder_for(track: Track) -> ParamsBuilder:
    cached = _BUILDERS.get(id(track))
    if cached is None or cached[0] is not track:
        cached = (track, ParamsBuilder(track))
        _BUILDERS[id(track)] = cached
    return cached[1]


def reward_params(
    track: "str | os.PathLike | Track",
    x: float,
    y: float,
    heading_deg: float,
    steering_angle: float = 0.0,
    speed: float = 0.0,
    reverse: bool = False,
    start_ndist: float = 0.0,
    objects: Iterable[Sequence[float]] = (),
    bot_car_speed: float | None = None,
    steps: float = 2.0,
    prev_progress: float | None = None,
    is_crashed: bool = False,
    sim_time: float = 0.0,
) -> dict[str, Any]:
    """The params a reward function sees for a car with base_link at (x, y) heading `heading_deg`.

    track: a shipped name, a route .npy path or a Track; `reverse` drives it
    against the file's point order (a Track's own direction is replaced).
    objects: (x, y) or (x, y, heading rad) per object; with `bot_car_speed` set
    they are bot cars (objects_speed and objects_heading are filled), otherwise
    static obstacles.
    steps: the step counter the reward function sees (2 is the first RUN step).
    prev_progress: the previous step's progress; None (default) skips the
    finish-line corrections, so a car just behind its start reads ~100, not ~0.
    """
    track = load_track(track, reverse=reverse)
    values = {"x": x, "y": y, "heading_deg": heading_deg, "steering_angle": steering_angle, "speed": speed,
              "start_ndist": start_ndist, "steps": steps, "sim_time": sim_time}
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
                or not math.isfinite(value):
            raise ValueError(f"reward_params: {name} must be a finite number, got {value!r}")
    if not 0.0 <= start_ndist < 1.0:
        raise ValueError(f"reward_params: start_ndist must be in [0, 1), got {start_ndist!r}")
    if prev_progress is not None and not math.isfinite(prev_progress):
        raise ValueError(f"reward_params: prev_progress must be finite, got {prev_progress!r}")
    snapshot = _objects_snapshot(objects, bot_car_speed)
    return builder_for(track).build(
        float(x), float(y), math.radians(float(heading_deg)), float(steering_angle), float(speed),
        float(start_ndist), prev_progress, float(steps), is_crashed, float(sim_time), snapshot,
    )


def _objects_snapshot(objects: Iterable[Sequence[float]], bot_car_speed: float | None) -> ObjectsSnapshot | None:
    rows = []
    for index, entry in enumerate(objects):
        try:
            values = [float(v) for v in entry]
        except (TypeError, ValueError):
            raise ValueError(f"reward_params: objects[{index}] must be (x, y) or (x, y, heading), got {entry!r}") \
                from None
        if len(values) not in (2, 3) or not all(math.isfinite(v) for v in values):
            raise ValueError(f"reward_params: objects[{index}] must be 2 or 3 finite numbers, got {entry!r}")
        rows.append(values + [0.0] * (3 - len(values)))
    if not rows:
        return None
    array = np.array(rows, dtype=np.float64)
    bots = bot_car_speed is not None
    height = (BOT_CAR_SIZE if bots else BOX_SIZE)[2]
    return ObjectsSnapshot(
        xy=np.ascontiguousarray(array[:, :2]),
        heading=array[:, 2].copy(),
        half_height=np.full(len(array), height / 2.0),
        has_bot_cars=bots,
        bot_car_speed=float(bot_car_speed) if bots else 0.0,
    )
