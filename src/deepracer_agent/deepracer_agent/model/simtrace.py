"""Sim-trace CSV files (docs/deepracer-semantics.md#sim-trace): one row per step, the 19 fields of the current
simulator, in its order.

Training writes `training-simtrace/<iteration>-iteration.csv` (training-phase steps only), evaluation
writes `evaluation-<YYYYMMDDHHMMSS>/evaluation-simtrace/0-iteration.csv` (every step). The values are
written as the simulator's csv writer does: plain Python repr of floats, `True`/`False` for booleans,
steps as a float (`1.0`), tstamp = simulation time in seconds, wall_clock = time.time().
"""
from __future__ import annotations

import csv
import io
import math
import os
import time
from typing import Any, Iterable, Mapping, Sequence

from deepracer_common.atomic import write_text_atomic

SIMTRACE_HEADER = (
    "episode",
    "steps",
    "X",
    "Y",
    "yaw",
    "steer",
    "throttle",
    "action",
    "reward",
    "done",
    "all_wheels_on_track",
    "progress",
    "closest_waypoint",
    "track_len",
    "tstamp",
    "episode_status",
    "pause_duration",
    "obstacle_crash_counter",
    "wall_clock",
)


def closest_waypoint(params: Mapping[str, Any]) -> int:
    """Of the two waypoints around the car (closest_waypoints), the one nearer in straight-line distance."""
    previous, following = params["closest_waypoints"]
    waypoints = params["waypoints"]
    x, y = params["x"], params["y"]

    def distance(index: int) -> float:
        wx, wy = waypoints[index][0], waypoints[index][1]
        return math.hypot(wx - x, wy - y)

    return int(previous if distance(previous) <= distance(following) else following)


def action_field(action: Any, steering_angle: float, speed: float, action_space_type: str) -> Any:
    """Discrete: the action index. Continuous: "[steer speed]" (the simulator's format since 2024-10)."""
    if action_space_type == "discrete":
        return int(action)
    return f"[{float(steering_angle)!r} {float(speed)!r}]"


def simtrace_row(
    *,
    episode: int,
    info: Mapping[str, Any],
    reward: float,
    done: bool,
    action: Any,
    action_space_type: str,
    wall_clock: float | None = None,
) -> list:
    """One CSV row from an environment step's `info` (params + step bookkeeping)."""
    params = info["params"]
    steering = float(info.get("steering_angle", params["steering_angle"]))
    speed = float(info.get("speed", params["speed"]))
    return [
        int(episode),
        float(info.get("steps", params["steps"])),
        float(params["x"]),
        float(params["y"]),
        float(params["heading"]),
        steering,
        speed,
        action_field(action, steering, speed, action_space_type),
        float(reward),
        bool(done),
        bool(params["all_wheels_on_track"]),
        float(params["progress"]),
        int(info["closest_waypoint"]) if "closest_waypoint" in info else closest_waypoint(params),
        float(params["track_length"]),
        float(info["sim_time"]),
        str(info["episode_status"]),
        float(info.get("pause_duration", 0.0)),
        int(info.get("obstacle_crash_counter", 0)),
        float(time.time() if wall_clock is None else wall_clock),
    ]


def format_rows(rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SIMTRACE_HEADER)
    for row in rows:
        if len(row) != len(SIMTRACE_HEADER):
            raise ValueError(f"a sim-trace row needs {len(SIMTRACE_HEADER)} fields, got {len(row)}: {row!r}")
        writer.writerow(row)
    return buffer.getvalue()


def write_simtrace(path: str | os.PathLike, rows: Iterable[Sequence[Any]]) -> None:
    """Write a complete sim-trace file at once (atomically), header first."""
    write_text_atomic(path, format_rows(rows))
