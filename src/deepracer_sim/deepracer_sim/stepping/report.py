"""What a front end publishes for one step, whichever simulator produced it (embedded or Gazebo)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from deepracer_common.race import PREPARE


@dataclass
class StepReport:
    """One step's sensor data, params and status.

    frames: one (120, 160) uint8 image per camera lens (two for stereo).
    ranges: raw LIDAR ranges (64,), metres, inf = no hit; None without a LIDAR.
    params: the reward params; None on the first step of an episode (it answers no action).
    status: EpisodeStatus fields (status_fields / reset_status_fields).
    car_pose: base_link (x, y, yaw); car_state: the full state vector (velocities for odometry) when known.
    objects: obstacles and bot cars (M, 7) for the markers.
    """

    sim_time: float
    frames: list[np.ndarray]
    ranges: np.ndarray | None
    params: dict | None
    status: dict
    car_pose: tuple[float, float, float] | None = None
    car_state: np.ndarray | None = None
    objects: np.ndarray = field(default_factory=lambda: np.zeros((0, 7)))

    @property
    def done(self) -> bool:
        return bool(self.status["done"])


def status_fields(info: dict, done: bool) -> dict:
    """EpisodeStatus fields (deepracer_interfaces/EpisodeStatus) of a step's info (StepOutcome.info)."""
    return {
        "episode": info["episode"],
        "steps": info["steps"],
        "status": info["episode_status"],
        "done": bool(done),
        "progress": info["progress"],
        "lap_time": info["lap_time"],
        "pause_duration": info["pause_duration"],
        "reset_count": info["reset_count"],
        "obstacle_crash_counter": info["obstacle_crash_counter"],
    }


def reset_status_fields(reset_info: dict) -> dict:
    """EpisodeStatus fields of an episode's first step (RaceSimulation.reset's info)."""
    return {"episode": reset_info["episode"], "steps": 0.0, "status": PREPARE, "done": False,
            "progress": reset_info["progress"], "lap_time": 0.0}


def camera_frames(observation: np.ndarray) -> list[np.ndarray]:
    """An (H, W, C) camera observation as one (H, W) frame per lens."""
    return [observation[:, :, channel] for channel in range(observation.shape[2])]
