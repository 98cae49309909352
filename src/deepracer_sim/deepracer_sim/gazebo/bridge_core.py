"""What gazebo_bridge_node computes, without ROS: Gazebo's car pose in, the embedded
simulator's reward params and episode rules out, servo commands in, joint commands out.

The episode logic is not re-implemented: `GazeboEpisode` runs deepracer_sim's own
`RaceSimulation` on `GazeboCar`, a stand-in car whose pose is whatever Gazebo last reported and
whose `place()` records a teleport for the node to send. Params, progress, round robin, the prepare step, off-track,
immobilized, reversed, lap completion and evaluation resets therefore behave exactly as in
the embedded simulator, step for step, given the same poses.

Timing follows the simapp (docs/deepracer-semantics.md#step-timing): a step ends when a new camera frame arrives; its
params describe the pose at the previous frame together with the command the agent sent
after seeing that frame. Which command a step reports and which one drives the car is decided
as in sim_node, by deepracer_sim.stepping.commands.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from PIL import Image

from deepracer_common import sensor_geometry as sensor
from deepracer_sim.car import parameters as car
from deepracer_sim.car.dynamics import clip_command
from deepracer_sim.race.simulation import PHASE_RUN, EpisodeSettings, RaceSimulation, StepOutcome
from deepracer_sim.tracks import Track

# A teleport counts as done once Gazebo reports the car this close to where it was sent.
TELEPORT_TOLERANCE_M = 0.05
TELEPORT_TOLERANCE_RAD = 0.05
# Height the car is dropped from when teleported, so the wheels never start inside the floor.
TELEPORT_Z = 0.01


@dataclass(frozen=True)
class ActuatorCommand:
    """What Gazebo's joint controllers receive: one angle for both hinges, one rate for all wheels."""

    steering_rad: float
    wheel_velocity: float  # rad/s

    @staticmethod
    def stop() -> "ActuatorCommand":
        return ActuatorCommand(0.0, 0.0)


def actuator_command(steering_deg: float, speed: float) -> ActuatorCommand:
    """The simapp's action -> actuator mapping (docs/deepracer-semantics.md#actions-to-actuators): steering clipped to
    ±30° and sent to
    both hinges, speed clipped to [0.1, 4] m/s and turned into wheel ω with the 0.035 m radius."""
    steering_rad, speed = clip_command(float(steering_deg), float(speed))
    return ActuatorCommand(steering_rad, speed / car.WHEEL_RADIUS)


def servo_actuator_command(steering_deg: float, speed: float) -> ActuatorCommand:
    """What the wheels and hinges get from a drive command (steering °, m/s; a servo message): as in the
    embedded simulator (Car.brake), a speed of 0 or less stops the wheels while the steering still
    follows; otherwise the simapp mapping applies."""
    if speed <= 0.0:
        steering_rad, _ = clip_command(float(steering_deg), 0.0)
        return ActuatorCommand(steering_rad, 0.0)
    return actuator_command(steering_deg, speed)


def yaw_from_quaternion(x: float, y: float, z: float, w: float) -> float:
    """Yaw (rad, CCW from +x) of a quaternion, as scipy's as_euler('zyx')[0] gives it."""
    return math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))


def quaternion_from_yaw(yaw: float) -> tuple[float, float, float, float]:
    return (0.0, 0.0, math.sin(yaw / 2.0), math.cos(yaw / 2.0))


# --------------------------------------------------------------------- camera adaptation
def rgb_frame_from_buffer(data: bytes, width: int, height: int, step: int, encoding: str) -> np.ndarray:
    """An (H, W, 3) RGB uint8 array from raw Image bytes (rgb8 or bgr8), or ValueError naming the problem."""
    if encoding not in ("rgb8", "bgr8"):
        raise ValueError(f"Gazebo camera image has encoding '{encoding}', expected rgb8 (R8G8B8 in the SDF)")
    if width <= 0 or height <= 0 or step < 3 * width or len(data) < step * height:
        raise ValueError(f"Gazebo camera image {width}x{height} step {step} holds {len(data)} bytes, too few")
    rows = np.frombuffer(data, dtype=np.uint8, count=step * height).reshape(height, step)
    rgb = rows[:, :3 * width].reshape(height, width, 3)
    return rgb[:, :, ::-1] if encoding == "bgr8" else rgb


def observation_frame(rgb: np.ndarray) -> np.ndarray:
    """Gazebo's 640x480 RGB frame as the policy sees it: (120, 160) uint8 grey.

    The simapp pipeline (docs/deepracer-semantics.md#camera): PIL bilinear resize to 160x120 of the RGB frame, then
    Y = 0.2989 R + 0.5870 G + 0.1140 B, rounded to uint8, as the embedded camera renders it.
    """
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) RGB frame, got shape {rgb.shape}")
    small = Image.fromarray(rgb, "RGB").resize((sensor.IMAGE_WIDTH, sensor.IMAGE_HEIGHT), Image.Resampling.BILINEAR)
    grey = np.asarray(small, dtype=np.float64) @ np.asarray(sensor.LUMA_WEIGHTS)
    return np.clip(np.floor(grey + 0.5), 0, 255).astype(np.uint8)


def scan_ranges(ranges) -> np.ndarray:
    """Gazebo's LIDAR ranges as the embedded LIDAR reports them: (64,) float64 metres, inf = no hit; ValueError
    when the scan does not have the car's rays."""
    ranges = np.array(ranges, dtype=np.float64)
    if ranges.size != sensor.LIDAR_NUM_RAYS:
        raise ValueError(f"Gazebo scan has {ranges.size} rays, the car's LIDAR has {sensor.LIDAR_NUM_RAYS}; "
                         "is the world's car model current?")
    # Gazebo reports misses beyond range_max as +inf already; anything else out of range is no hit too.
    ranges[~np.isfinite(ranges) | (ranges > sensor.LIDAR_RANGE_MAX)] = np.inf
    return ranges


# --------------------------------------------------------------------- the car stand-in
class GazeboCar:
    """Takes the place of deepracer_sim's `Car` inside RaceSimulation.

    `state` mirrors the embedded car's layout (x, y, yaw, vx, vy, yaw rate, steering) so the
    simulation can read the pose from it; velocities are not simulated here and stay 0.
    """

    def __init__(self) -> None:
        self.state = np.zeros(7)
        self.teleport: tuple[float, float, float] | None = None

    @property
    def pose(self) -> tuple[float, float, float]:
        return float(self.state[0]), float(self.state[1]), float(self.state[2])

    def observe(self, x: float, y: float, yaw: float) -> None:
        self.state[:3] = (x, y, yaw)

    # --- the Car interface RaceSimulation uses
    def place(self, x: float, y: float, yaw: float) -> None:
        self.state[:] = 0.0
        self.state[:3] = (x, y, yaw)
        self.teleport = (float(x), float(y), float(yaw))

    def drive(self, steering_deg: float, speed: float, duration: float) -> None:
        """Nothing to integrate: Gazebo moves the car, its joints following the servo (see
        GazeboEpisode.on_servo) as sim_node's car does; the action only goes into the params."""

    def brake(self, steering_deg: float, duration: float) -> None:
        """Nothing to integrate either: GazeboEpisode has already stopped the wheels."""

    def coast_to_stop(self, duration: float) -> None:
        """The prepare step's zero command: GazeboEpisode holds the car outside the RUN phase."""


def _pose_error(pose, target) -> tuple[float, float]:
    distance = math.hypot(pose[0] - target[0], pose[1] - target[1])
    turn = abs((pose[2] - target[2] + math.pi) % (2.0 * math.pi) - math.pi)
    return distance, turn


@dataclass
class FrameResult:
    """What the node publishes for one camera frame."""

    outcome: StepOutcome | None = None       # the step that this frame ends (None: no step yet)
    reset_info: dict | None = None            # set on the first frame of an episode
    command: ActuatorCommand = field(default_factory=ActuatorCommand.stop)


class GazeboEpisode:
    """RaceSimulation on Gazebo poses. Call `reset()`, then `on_frame()` for every camera frame
    and `on_servo()` for every servo message; send `pending_teleport()` to Gazebo."""

    def __init__(
        self,
        track: Track,
        settings: EpisodeSettings = EpisodeSettings(),
        reward_function: Callable[[dict], float] | None = None,
    ) -> None:
        # The node publishes params, not rewards (the agent computes its own), so the
        # simulation's reward call only needs to be cheap and harmless.
        self.car = GazeboCar()
        self.sim = RaceSimulation(track, settings, reward_function=reward_function or (lambda params: 0.0),
                                  car=self.car)
        self.servo_deg_mps: tuple[float, float] = (0.0, 0.0)
        self._frame_pose: tuple[float, float, float] | None = None
        self._frame_time = 0.0
        self._awaiting: tuple[float, float, float] | None = None
        self._reset_info: dict | None = None

    @property
    def track(self) -> Track:
        return self.sim.track

    @property
    def done(self) -> bool:
        return self.sim.done

    @property
    def phase(self) -> str:
        return self.sim.phase

    def reset(self, sim_time: float, start_ndist: float | None = None) -> tuple[float, float, float]:
        """Start an episode; returns the start pose the car must be teleported to."""
        self.sim.sim_time = float(sim_time)
        self._reset_info = self.sim.reset(start_ndist)
        self._frame_pose = None
        self._awaiting = self.car.teleport
        self.car.teleport = None
        return self._awaiting

    def pending_teleport(self) -> tuple[float, float, float] | None:
        """A pose Gazebo has not reached yet (after a reset or an evaluation reset), else None."""
        return self._awaiting

    def on_servo(self, steering_deg: float, speed: float) -> ActuatorCommand:
        """The servo's latest (steering °, speed m/s; 0 = stop); returns what to send to Gazebo now.

        Like the embedded simulator, the car ignores commands while it is being prepared,
        paused or teleported: it is held with a zero command.
        """
        if not (math.isfinite(steering_deg) and math.isfinite(speed)):
            raise ValueError(f"command must be finite, got steering {steering_deg!r}, speed {speed!r}")
        self.servo_deg_mps = (float(steering_deg), float(speed))
        return self._current_command()

    def on_frame(self, pose: tuple[float, float, float], sim_time: float,
                 command: "tuple[float, float, int] | Callable[[], tuple[float, float, int]]" = (0.0, 0.0, -1),
                 ) -> FrameResult:
        """A new camera frame was taken with the car at `pose` (base_link x, y, yaw) at `sim_time`.

        Returns the outcome of the step this frame completes, computed with the pose of the
        previous frame and `command` (steering °, speed m/s, action index: what the agent sent
        after that frame, see deepracer_sim.stepping.commands), docs/deepracer-semantics.md#step-timing; plus the
        command to hold now. A callable `command` is only called when the frame completes a step (it may consume a
        pending action). The wheels followed the servo (on_servo) meanwhile, which the episode rules are told:
        a car standing still because the servo says stop is not immobilized.
        """
        if not all(math.isfinite(v) for v in pose):
            raise ValueError(f"pose must be finite, got {pose!r}")
        result = FrameResult()
        if self.sim.done:
            return result
        if self._awaiting is not None:
            distance, turn = _pose_error(pose, self._awaiting)
            if distance > TELEPORT_TOLERANCE_M or turn > TELEPORT_TOLERANCE_RAD:
                return result  # the frame still shows the car before the teleport
            self._awaiting = None
            if self._frame_pose is None:
                # First frame of the episode: it is the observation the prepare step answers,
                # and the episode's clock starts now, not when the car was sent to the start.
                self._frame_pose = tuple(float(v) for v in pose)
                self._frame_time = float(sim_time)
                self.sim.sim_time = self.sim.episode_start_time = self.sim.lap_start_time = float(sim_time)
                result.reset_info = dict(self._reset_info, sim_time=float(sim_time))
                return result
        if self._frame_pose is None:
            return result
        self.car.observe(*self._frame_pose)
        self.sim.sim_time = self._frame_time
        steering_deg, speed, index = command() if callable(command) else command
        self.car.teleport = None
        self.sim.begin_step(float(steering_deg), float(speed), int(index), drive=self.servo_deg_mps)
        result.outcome = self.sim.finish_step()
        self._frame_pose = tuple(float(v) for v in pose)
        self._frame_time = float(sim_time)
        if self.car.teleport is not None:
            # The step put the car somewhere else (evaluation reset after a failure).
            self._awaiting = self.car.teleport
            self._frame_pose = self.car.teleport
        self.car.teleport = None
        result.command = self._current_command()
        return result

    def _current_command(self) -> ActuatorCommand:
        if self.sim.done or self._awaiting is not None or self._frame_pose is None or self.sim.phase != PHASE_RUN:
            return ActuatorCommand.stop()
        return servo_actuator_command(*self.servo_deg_mps)
