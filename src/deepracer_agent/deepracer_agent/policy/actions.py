"""From a policy's action to what the simulator and the car are given.

A policy's action is an index (discrete) or a point in [-1, 1]² that may lie outside it
(continuous: a Gaussian sample, kept as sampled because its log-probability belongs to it).
The simulator and the car take the index, or the point clipped to [-1, 1]²; the action space
(deepracer_common.action_space) turns that into the steering angle and speed it stands for.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from deepracer_common.action_space import ActionSpace


def env_action(action: Any, space_type: str) -> int | np.ndarray:
    """The action the simulator (or sim_node) takes: an int index, or float32 values clipped to [-1, 1]."""
    if space_type == "discrete":
        return int(action)
    return np.clip(np.asarray(action, dtype=np.float32), -1.0, 1.0).astype(np.float32)


def command(action: Any, space: ActionSpace) -> tuple[float, float]:
    """(steering angle °, speed m/s) of a policy's action."""
    steering, speed = space.command(env_action(action, space.type))
    return float(steering), float(speed)
