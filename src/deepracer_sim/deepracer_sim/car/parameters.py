"""Every physical number of the simulated car, in one place.

Geometry and limits come from the Gazebo DeepRacer model the AWS simulator uses
(docs/deepracer-semantics.md#car-geometry, docs/deepracer-semantics.md#actions-to-actuators: URDF
`deepracer_single_cam.urdf`, `racecar.gazebo`, the simapp's
action clip). Numbers the AWS simulator does not give (inertia, tyre stiffness, actuator
rates) are our estimates, marked "estimate" with the reasoning.

How the car moves (deepracer_sim/car/dynamics.py):
- a single-track (bicycle) model with body-frame velocities (vx, vy, yaw rate);
- each axle's lateral tyre force is linear in its slip angle and saturates at the
  friction limit μ·load, inside a friction circle shared with the drive force;
- below LOW_SPEED_BLEND the car follows the kinematic bicycle model (slip angles
  are meaningless near standstill), blending linearly into the dynamic model up
  to HIGH_SPEED_BLEND;
- the wheel-velocity controller pulls the forward speed toward the commanded
  speed with a first-order lag, limited to ACCELERATION_LIMIT / BRAKING_LIMIT;
- the steering servo moves toward the commanded angle at STEERING_RATE.
"""
from __future__ import annotations

import math
from dataclasses import astuple, dataclass

import numpy as np

GRAVITY = 9.81  # m/s²

# --- Geometry (docs/deepracer-semantics.md#car-geometry), metres, relative to base_link (the midpoint between the
# axles)
FRONT_AXLE_X = 0.082311
REAR_AXLE_X = -0.081663
WHEELBASE = FRONT_AXLE_X - REAR_AXLE_X  # 0.16397 m
FRONT_WHEEL_Y = 0.079601
REAR_WHEEL_Y = 0.08105
WHEEL_RADIUS = 0.035  # m, the simapp's speed → wheel ω conversion radius (version ≥ 3)
# Wheel centres (x, y) used by the off-track rule: front left, front right, rear left, rear right.
WHEEL_OFFSETS = np.array(
    [
        [FRONT_AXLE_X, FRONT_WHEEL_Y],
        [FRONT_AXLE_X, -FRONT_WHEEL_Y],
        [REAR_AXLE_X, REAR_WHEEL_Y],
        [REAR_AXLE_X, -REAR_WHEEL_Y],
    ]
)
# The reward params' x, y: base_link + 0.14 m forward (docs/deepracer-semantics.md#reference-point).
FRONT_POINT_OFFSET = 0.14
# Collision footprint centred on base_link (docs/deepracer-semantics.md#reference-point; BOT_CAR_DIMENSION).
CAR_LENGTH = 0.32352
CAR_WIDTH = 0.1961
CAR_HEIGHT = 0.195  # body mesh height, for cameras and LIDAR seeing other cars
CAR_SIZE = (CAR_LENGTH, CAR_WIDTH, CAR_HEIGHT)

# --- Command limits (docs/deepracer-semantics.md#actions-to-actuators)
MAX_STEERING_DEG = 30.0
MIN_SPEED = 0.1
MAX_SPEED = 4.0


@dataclass(frozen=True)
class CarParameters:
    """Dynamic parameters; the defaults are the Gazebo car's
    (docs/deepracer-semantics.md#car-geometry) or marked estimates.
    """

    # Gazebo: chassis 5.0 kg + 4 wheels × 0.34055 kg + steering, camera and LIDAR links ≈ 7.54 kg
    # (docs/deepracer-semantics.md#car-geometry).
    mass: float = 7.54
    # Estimate: a uniform 0.324 × 0.188 m box of the whole mass plus the four wheels at the corners.
    yaw_inertia: float = 0.09
    # Centre of mass on base_link (the URDF puts the chassis origin there), so load splits by the axle distances.
    cog_to_front: float = FRONT_AXLE_X
    cog_to_rear: float = -REAR_AXLE_X
    # Gazebo wheel friction mu1 = mu2 = 0.5 (racecar.gazebo).
    friction: float = 0.5
    # Estimate: cornering stiffness per unit axle load, N/rad per N. Gazebo's ODE contact has no
    # slip compliance (it grips rigidly until μ·load); 8/rad reaches the limit at 3.6° of slip,
    # stiff enough to behave like it while staying stable with 2 ms physics substeps.
    cornering_stiffness: float = 8.0
    # Estimate: the velocity controller reaches the command within a few tenths of a second.
    speed_time_constant: float = 0.08
    # Estimate: a tuned velocity controller on a 7.5 kg car; both stay inside μ·g = 4.9 m/s².
    acceleration_limit: float = 3.0
    braking_limit: float = 4.0
    # Estimate: a hobby steering servo turns about 60° in 0.15 s.
    steering_rate: float = 7.0
    # Below LOW the car moves kinematically, above HIGH fully dynamically (m/s).
    low_speed_blend: float = 0.15
    high_speed_blend: float = 0.45
    # Largest physics substep (s); a 1/15 s step runs ceil(dt / max_substep) substeps.
    max_substep: float = 1.0 / 480.0

    def __post_init__(self) -> None:
        for name, value in zip(self.__dataclass_fields__, astuple(self)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"car parameter {name} must be a positive finite number, got {value!r}")
        if self.high_speed_blend <= self.low_speed_blend:
            raise ValueError("high_speed_blend must exceed low_speed_blend")

    @property
    def wheelbase(self) -> float:
        return self.cog_to_front + self.cog_to_rear

    def as_array(self) -> np.ndarray:
        """The parameters packed for the numba integrator (order = field order, then g)."""
        return np.array(astuple(self) + (GRAVITY,), dtype=np.float64)


DEFAULT_CAR = CarParameters()
