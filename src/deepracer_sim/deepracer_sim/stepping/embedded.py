"""The embedded simulator as sim_node runs it: a DeepRacerEnv stepped with StepCommands, one StepReport
per step, and a clock that never goes back when the environment is rebuilt (another track or model)."""
from __future__ import annotations

from deepracer_sim.env import DeepRacerEnv
from deepracer_sim.stepping.commands import StepCommand
from deepracer_sim.stepping.report import StepReport, camera_frames, reset_status_fields, status_fields


class EmbeddedSimulator:
    """One DeepRacerEnv with a camera. `time_offset`: the sim time of the environments before it."""

    def __init__(self, env: DeepRacerEnv, time_offset: float = 0.0):
        if env.config.camera is None:
            raise ValueError("the simulated car needs a camera sensor (the real car always has one)")
        self.env = env
        self.time_offset = float(time_offset)

    @property
    def sim_time(self) -> float:
        return self.time_offset + self.env.sim.sim_time

    @property
    def track(self):
        return self.env.track

    @property
    def stereo(self) -> bool:
        return self.env.config.camera == "STEREO_CAMERAS"

    def reset(self, start_ndist: float | None = None) -> StepReport:
        """Start an episode (at `start_ndist` of the lap, else the next round-robin start)."""
        options = None if start_ndist is None else {"start_ndist": float(start_ndist)}
        observation, info = self.env.reset(options=options)
        return self._report(observation, None, reset_status_fields(info))

    def step(self, command: StepCommand) -> StepReport:
        observation, _, terminated, truncated, info = self.env.step_commanded(
            command.steering, command.speed, command.action_index, drive=command.drive)
        return self._report(observation, info["params"], status_fields(info, terminated or truncated))

    def _report(self, observation: dict, params: dict | None, status: dict) -> StepReport:
        env = self.env
        sim = env.sim
        return StepReport(
            sim_time=self.sim_time, frames=camera_frames(observation[env.config.camera]), ranges=env.lidar_ranges,
            params=params, status=status, car_pose=sim.car.pose, car_state=sim.car.state.copy(),
            objects=sim.objects.array)
