"""Where the DeepRacer's camera and LIDAR sit and how they see (docs/deepracer-semantics.md#car-geometry,
docs/deepracer-semantics.md#observations).

One place for these numbers because the renderer, the LIDAR caster, the ROS node (CameraInfo,
TF frames, LaserScan) and the Gazebo model generator must all agree on them.

Frames follow ROS REP 103: base_link has x forward, y left, z up, and sits on the floor
(the URDF puts the wheel bottoms within a few millimetres of base_link's height), so the
lens is CAMERA_OFFSET_XYZ[2] above the floor and the LIDAR scans at LIDAR_OFFSET_XYZ[2].
The camera frame is the lens, x along the optical axis, pitched CAMERA_PITCH down about y;
the LIDAR frame is yawed by LIDAR_MOUNT_YAW, and its rays are LIDAR_ANGLE_MIN +
i * LIDAR_ANGLE_INCREMENT in that frame (what a LaserScan carries).
"""
from __future__ import annotations

import math

import numpy as np

# --- car body (URDF deepracer_single_cam*.urdf) ------------------------------------------------
CHASSIS_OFFSET_XYZ = (0.0, 0.0, 0.023249)   # base_link -> chassis

# --- front camera (racecar.gazebo, cameras/frustum.py camera_offsets for version >= 3) ------------
CAMERA_NATIVE_WIDTH = 640
CAMERA_NATIVE_HEIGHT = 480
CAMERA_HFOV = 1.13                           # rad, horizontal field of view at the native size
CAMERA_PITCH = math.radians(15.0)            # rad, optical axis tilted this far below horizontal
CAMERA_OFFSET_XYZ = (0.1453, 0.0, 0.1303)    # lens relative to base_link, metres
CAMERA_CLIP_NEAR = 0.02
CAMERA_CLIP_FAR = 300.0
CAMERA_RATE_HZ = 15.0
# What the policy sees: the native frame resized (PIL bilinear) to this size.
IMAGE_WIDTH = 160
IMAGE_HEIGHT = 120
STEREO_BASELINE_Y = 0.03                     # each stereo lens sits this far left (+) / right (-) of the axis
# Grayscale as RL-Coach's ObservationRGBToYFilter computes it.
LUMA_WEIGHTS = (0.2989, 0.5870, 0.1140)

# --- LIDAR (sensors/constants.py, racecar.launch.py defaults, hokuyo_joint in the URDF) ----------
LIDAR_NUM_RAYS = 64
LIDAR_ANGLE_MIN = -2.61799                   # rad, in the LIDAR's own frame
LIDAR_ANGLE_MAX = 2.61799
LIDAR_ANGLE_INCREMENT = (LIDAR_ANGLE_MAX - LIDAR_ANGLE_MIN) / (LIDAR_NUM_RAYS - 1)
LIDAR_RANGE_MIN = 0.15
LIDAR_RANGE_MAX = 12.0
LIDAR_RESOLUTION = 0.01
LIDAR_NOISE_STDDEV = 0.01
LIDAR_RATE_HZ = 10.0
LIDAR_MOUNT_YAW = math.pi                    # the LIDAR faces the rear of the car
_HOKUYO_JOINT_XYZ = (0.02913, 0.0, 0.16145)  # relative to chassis
LIDAR_OFFSET_XYZ = tuple(a + b for a, b in zip(_HOKUYO_JOINT_XYZ, CHASSIS_OFFSET_XYZ))


def camera_focal_length(width: int = IMAGE_WIDTH) -> float:
    """Pinhole focal length in pixels for an image `width` pixels wide (square pixels)."""
    return (width / 2.0) / math.tan(CAMERA_HFOV / 2.0)


def camera_intrinsics(width: int = IMAGE_WIDTH, height: int = IMAGE_HEIGHT) -> np.ndarray:
    """3x3 K matrix for sensor_msgs/CameraInfo.

    The optical axis passes through the middle of the image. CameraInfo (like OpenCV) puts
    pixel centres at integer coordinates, so the middle of a 160-wide image is x = 79.5.
    """
    f = camera_focal_length(width)
    return np.array([[f, 0.0, (width - 1) / 2.0], [0.0, f, (height - 1) / 2.0], [0.0, 0.0, 1.0]])


def camera_vertical_fov(width: int = CAMERA_NATIVE_WIDTH, height: int = CAMERA_NATIVE_HEIGHT) -> float:
    return 2.0 * math.atan((height / 2.0) / camera_focal_length(width))


def camera_lens_offsets(stereo: bool) -> list[tuple[float, float, float]]:
    """Lens positions in base_link; for stereo the left lens comes first (it is channel 0)."""
    x, y, z = CAMERA_OFFSET_XYZ
    if stereo:
        return [(x, y + STEREO_BASELINE_Y, z), (x, y - STEREO_BASELINE_Y, z)]
    return [(x, y, z)]


def lidar_ray_angles_in_car_frame() -> np.ndarray:
    """Direction of each of the 64 rays in base_link, radians CCW from the car's +x.

    The LIDAR frame is yawed by pi, so ray 0 points about +30 deg (front-left), the rays sweep
    counter-clockwise through the rear (ray 31/32 straddle straight back) to about -30 deg
    (front-right), and the 60 deg gap without rays is straight ahead (docs/deepracer-semantics.md#lidar, inferred from
    the URDF).
    """
    angles = LIDAR_ANGLE_MIN + LIDAR_ANGLE_INCREMENT * np.arange(LIDAR_NUM_RAYS)
    return angles + LIDAR_MOUNT_YAW
