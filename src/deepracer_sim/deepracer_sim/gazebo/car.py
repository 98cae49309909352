"""The DeepRacer car as a gz-sim model: chassis, steering hinges, four wheels, front camera
(or stereo pair), optional rear-facing gpu_lidar, and the systems that drive it.

Geometry and masses follow the simapp URDF (docs/deepracer-semantics.md#car-geometry); sensor numbers come from
`deepracer_common.sensor_geometry`, the same constants the embedded camera and LIDAR use.
Actuation mirrors simapp's "kinematics" controllers (model version >= 5): both front hinges
get the same steering angle (no Ackermann) and all four wheels the same angular velocity,
each through its own gz-sim controller listening on one shared topic.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from deepracer_common import sensor_geometry as sensor
from deepracer_sim.car import parameters as car
from deepracer_sim.gazebo import topics
from deepracer_sim.gazebo.sdf import comment, document, material, pose, sub
from deepracer_sim.gazebo.world import model_config

# --- URDF deepracer_single_cam*.urdf (docs/deepracer-semantics.md#car-geometry), relative to base_link
# ----------------------
# Axle positions, track widths, friction and total mass are the embedded simulator's own
# numbers (deepracer_sim.car.parameters), so both simulators drive the same car.
CHASSIS_Z = sensor.CHASSIS_OFFSET_XYZ[2]
AXLE_Z = CHASSIS_Z + 0.01575                # wheel joints sit 0.01575 m above the chassis frame
REAR_AXLE_X = car.REAR_AXLE_X
FRONT_AXLE_X = car.FRONT_AXLE_X
REAR_WHEEL_Y = car.REAR_WHEEL_Y             # rear track width 0.1621 m
FRONT_WHEEL_Y = car.FRONT_WHEEL_Y           # front track width 0.1592 m
WHEELBASE = car.WHEELBASE                   # 0.163974 m
# The wheel mesh's radius (0.0718 x 0.034 x 0.072 extent). The speed -> wheel omega conversion
# uses car.WHEEL_RADIUS (0.035) instead, exactly as simapp does, so the Gazebo car rolls about
# 3 % faster than commanded, as simapp's does (docs/deepracer-semantics.md#actions-to-actuators).
WHEEL_RADIUS = 0.036
WHEEL_WIDTH = 0.034
WHEEL_MASS = 0.34055
WHEEL_FRICTION = car.DEFAULT_CAR.friction   # mu1 = mu2 = 0.5 (racecar.gazebo); the chassis has mu 0
STEERING_LIMIT = 1.0                        # rad, hinge joint limit; software clips to 30 deg
# Collision footprint used for crashes (track_geom/constants.py BOT_CAR_DIMENSION).
BODY_LENGTH = car.CAR_LENGTH
BODY_WIDTH = car.CAR_WIDTH
# --- not in the AWS car model: stand-ins chosen to keep the model physically sane -----------------------
HINGE_MASS = 0.05
HINGE_RADIUS = 0.01
# URDF-to-SDF conversion lumps the chassis and the fixed camera/LIDAR links into base_link;
# give it whatever makes the total the simulator's 7.54 kg.
BASE_MASS = car.DEFAULT_CAR.mass - 4 * WHEEL_MASS - 2 * HINGE_MASS
BODY_HEIGHT = 0.10                          # collision box height, bottom above the wheel tops
BODY_BOTTOM_Z = 0.08
STEERING_RATE_MAX = car.DEFAULT_CAR.steering_rate  # rad/s, the embedded simulator's servo rate
SENSOR_BOX = 0.03                           # visual size of the camera and LIDAR housings

# --- gz transport topics (the bridge maps them onto ROS, config/gz_bridge.yaml) ---------------
TOPIC_STEERING = topics.GZ_STEERING
TOPIC_WHEEL_VELOCITY = topics.GZ_WHEEL_VELOCITY
TOPIC_ODOMETRY = topics.GZ_ODOMETRY
TOPIC_TF = topics.GZ_TF
TOPIC_CAMERA = topics.GZ_CAMERA
TOPIC_STEREO = topics.GZ_STEREO
TOPIC_SCAN = topics.GZ_SCAN
ODOMETRY_RATE_HZ = 100.0

STEERING_JOINTS = ("left_steering_hinge_joint", "right_steering_hinge_joint")
WHEEL_JOINTS = ("left_front_wheel_joint", "right_front_wheel_joint", "left_rear_wheel_joint", "right_rear_wheel_joint")

COLOR_BODY = (20, 20, 24)
COLOR_SHELL = (110, 40, 160)
COLOR_WHEEL = (30, 30, 30)
COLOR_SENSOR = (60, 60, 60)


@dataclass(frozen=True)
class CarVariant:
    name: str          # model directory and model name
    stereo: bool
    lidar: bool

    @property
    def description(self) -> str:
        camera = "stereo cameras" if self.stereo else "front camera"
        return f"AWS DeepRacer with {camera}" + (" and rear-facing LIDAR" if self.lidar else "")


CAR_VARIANTS = {
    "camera": CarVariant("deepracer_camera", stereo=False, lidar=False),
    "camera_lidar": CarVariant("deepracer_camera_lidar", stereo=False, lidar=True),
    "stereo": CarVariant("deepracer_stereo", stereo=True, lidar=False),
    "stereo_lidar": CarVariant("deepracer_stereo_lidar", stereo=True, lidar=True),
}

# model_metadata.json sensor names (docs/deepracer-semantics.md#observations) -> which physical sensors the car carries.
_CAMERA_SENSORS = {"FRONT_FACING_CAMERA", "OBSERVATION", "LEFT_CAMERA"}
_STEREO_SENSORS = {"STEREO_CAMERAS"}
_LIDAR_SENSORS = {"LIDAR", "SECTOR_LIDAR", "DISCRETIZED_SECTOR_LIDAR"}


def variant_for_sensors(sensors: list[str]) -> CarVariant:
    """The car model that carries the sensors a model_metadata.json `sensor` list names."""
    names = {str(s).upper() for s in sensors}
    unknown = names - _CAMERA_SENSORS - _STEREO_SENSORS - _LIDAR_SENSORS
    if unknown:
        raise ValueError(f"unknown sensor name(s) {sorted(unknown)}; expected some of "
                         f"{sorted(_CAMERA_SENSORS | _STEREO_SENSORS | _LIDAR_SENSORS)}")
    stereo = bool(names & _STEREO_SENSORS)
    key = ("stereo" if stereo else "camera") + ("_lidar" if names & _LIDAR_SENSORS else "")
    return CAR_VARIANTS[key]


def _box_inertia(mass: float, x: float, y: float, z: float) -> tuple[float, float, float]:
    return (mass * (y * y + z * z) / 12.0, mass * (x * x + z * z) / 12.0, mass * (x * x + y * y) / 12.0)


def _inertial(link: ET.Element, mass: float, diagonal: tuple[float, float, float], at=(0.0, 0.0, 0.0)) -> None:
    inertial = sub(link, "inertial")
    pose(inertial, at)
    sub(inertial, "mass", mass)
    inertia = sub(inertial, "inertia")
    for tag, value in zip(("ixx", "iyy", "izz"), diagonal):
        sub(inertia, tag, value)
    for tag in ("ixy", "ixz", "iyz"):
        sub(inertia, tag, 0.0)


def _friction(collision: ET.Element, mu: float) -> None:
    ode = sub(sub(sub(collision, "surface"), "friction"), "ode")
    sub(ode, "mu", mu)
    sub(ode, "mu2", mu)


def _wheel(model: ET.Element, name: str, xyz: tuple[float, float, float]) -> None:
    link = sub(model, "link", name=name)
    pose(link, xyz)
    # A solid cylinder about the wheel axle (y): I_yy = m r^2 / 2, others m (3 r^2 + w^2) / 12.
    side = WHEEL_MASS * (3 * WHEEL_RADIUS**2 + WHEEL_WIDTH**2) / 12.0
    _inertial(link, WHEEL_MASS, (side, WHEEL_MASS * WHEEL_RADIUS**2 / 2.0, side))
    # SDF cylinders run along z; roll them onto the axle.
    for kind in ("collision", "visual"):
        element = sub(link, kind, name=f"{name}_{kind}")
        pose(element, rpy=(1.5707963267948966, 0.0, 0.0))
        cylinder = sub(sub(element, "geometry"), "cylinder")
        sub(cylinder, "radius", WHEEL_RADIUS)
        sub(cylinder, "length", WHEEL_WIDTH)
        if kind == "collision":
            _friction(element, WHEEL_FRICTION)
        else:
            material(element, COLOR_WHEEL)


def _revolute(model: ET.Element, name: str, parent: str, child: str, axis, limit: float | None) -> None:
    joint = sub(model, "joint", name=name, type="revolute")
    sub(joint, "parent", parent)
    sub(joint, "child", child)
    axis_element = sub(joint, "axis")
    sub(axis_element, "xyz", axis)
    if limit is not None:
        limits = sub(axis_element, "limit")
        sub(limits, "lower", -limit)
        sub(limits, "upper", limit)


def _camera(link: ET.Element, name: str, xyz, topic: str) -> None:
    camera_sensor = sub(link, "sensor", name=name, type="camera")
    pose(camera_sensor, xyz, (0.0, sensor.CAMERA_PITCH, 0.0))  # positive pitch tilts the view down
    sub(camera_sensor, "always_on", True)
    sub(camera_sensor, "update_rate", sensor.CAMERA_RATE_HZ)
    sub(camera_sensor, "visualize", False)
    sub(camera_sensor, "topic", topic)
    camera = sub(camera_sensor, "camera", name=name)
    sub(camera, "horizontal_fov", sensor.CAMERA_HFOV)
    image = sub(camera, "image")
    sub(image, "width", sensor.CAMERA_NATIVE_WIDTH)
    sub(image, "height", sensor.CAMERA_NATIVE_HEIGHT)
    sub(image, "format", "R8G8B8")
    clip = sub(camera, "clip")
    sub(clip, "near", sensor.CAMERA_CLIP_NEAR)
    sub(clip, "far", sensor.CAMERA_CLIP_FAR)
    housing = sub(link, "visual", name=f"{name}_housing")
    x, y, z = xyz
    pose(housing, (x - SENSOR_BOX / 2.0, y, z), (0.0, sensor.CAMERA_PITCH, 0.0))
    sub(sub(sub(housing, "geometry"), "box"), "size", (SENSOR_BOX, SENSOR_BOX, SENSOR_BOX))
    material(housing, COLOR_SENSOR)


def _lidar(link: ET.Element) -> None:
    lidar_sensor = sub(link, "sensor", name="lidar", type="gpu_lidar")
    pose(lidar_sensor, sensor.LIDAR_OFFSET_XYZ, (0.0, 0.0, sensor.LIDAR_MOUNT_YAW))
    sub(lidar_sensor, "always_on", True)
    sub(lidar_sensor, "update_rate", sensor.LIDAR_RATE_HZ)
    sub(lidar_sensor, "visualize", False)
    sub(lidar_sensor, "topic", TOPIC_SCAN)
    lidar = sub(lidar_sensor, "lidar")
    horizontal = sub(sub(lidar, "scan"), "horizontal")
    sub(horizontal, "samples", sensor.LIDAR_NUM_RAYS)
    sub(horizontal, "resolution", 1.0)
    sub(horizontal, "min_angle", sensor.LIDAR_ANGLE_MIN)
    sub(horizontal, "max_angle", sensor.LIDAR_ANGLE_MAX)
    range_element = sub(lidar, "range")
    sub(range_element, "min", sensor.LIDAR_RANGE_MIN)
    sub(range_element, "max", sensor.LIDAR_RANGE_MAX)
    sub(range_element, "resolution", sensor.LIDAR_RESOLUTION)
    noise = sub(lidar, "noise")
    sub(noise, "type", "gaussian")
    sub(noise, "mean", 0.0)
    sub(noise, "stddev", sensor.LIDAR_NOISE_STDDEV)
    housing = sub(link, "visual", name="lidar_housing")
    pose(housing, sensor.LIDAR_OFFSET_XYZ)
    cylinder = sub(sub(housing, "geometry"), "cylinder")
    sub(cylinder, "radius", SENSOR_BOX)
    sub(cylinder, "length", SENSOR_BOX)
    material(housing, COLOR_SENSOR)


def _controllers(model: ET.Element) -> None:
    for joint in STEERING_JOINTS:
        plugin = sub(model, "plugin", filename="gz-sim-joint-position-controller-system",
                     name="gz::sim::systems::JointPositionController")
        sub(plugin, "joint_name", joint)
        sub(plugin, "topic", TOPIC_STEERING)
        # Velocity commands reach the target directly (capped at cmd_max rad/s), like
        # simapp's position_controllers rather than a force PID that needs tuning.
        sub(plugin, "use_velocity_commands", True)
        sub(plugin, "cmd_max", STEERING_RATE_MAX)
        sub(plugin, "cmd_min", -STEERING_RATE_MAX)
    for joint in WHEEL_JOINTS:
        plugin = sub(model, "plugin", filename="gz-sim-joint-controller-system",
                     name="gz::sim::systems::JointController")
        sub(plugin, "joint_name", joint)
        sub(plugin, "topic", TOPIC_WHEEL_VELOCITY)
        sub(plugin, "initial_velocity", 0.0)
    odometry = sub(model, "plugin", filename="gz-sim-odometry-publisher-system",
                   name="gz::sim::systems::OdometryPublisher")
    # Frame names as the embedded simulator's node publishes them (REP 105); the pose is the
    # world pose of base_link, i.e. odom coincides with the track's world frame.
    sub(odometry, "odom_frame", "odom")
    sub(odometry, "robot_base_frame", "base_link")
    sub(odometry, "odom_publish_frequency", ODOMETRY_RATE_HZ)
    sub(odometry, "odom_topic", TOPIC_ODOMETRY)
    sub(odometry, "tf_topic", TOPIC_TF)
    sub(odometry, "dimensions", 3)


def car_model_document(variant: CarVariant) -> bytes:
    model = ET.Element("model", name=variant.name)
    comment(model, f"Generated by `deepracer gazebo worlds`: {variant.description}; do not edit.")
    base = sub(model, "link", name="base_link")
    body_z = BODY_BOTTOM_Z + BODY_HEIGHT / 2.0
    _inertial(base, BASE_MASS, _box_inertia(BASE_MASS, BODY_LENGTH, BODY_WIDTH, BODY_HEIGHT),
              at=(0.0, 0.0, body_z))
    chassis = sub(base, "collision", name="chassis")
    pose(chassis, (0.0, 0.0, body_z))
    sub(sub(sub(chassis, "geometry"), "box"), "size", (BODY_LENGTH, BODY_WIDTH, BODY_HEIGHT))
    _friction(chassis, 0.0)
    body = sub(base, "visual", name="chassis")
    pose(body, (0.0, 0.0, CHASSIS_Z + 0.02))
    sub(sub(sub(body, "geometry"), "box"), "size", (BODY_LENGTH, 0.10, 0.02))
    material(body, COLOR_BODY)
    shell = sub(base, "visual", name="shell")
    pose(shell, (0.0, 0.0, body_z))
    sub(sub(sub(shell, "geometry"), "box"), "size", (BODY_LENGTH * 0.8, BODY_WIDTH * 0.9, BODY_HEIGHT * 0.6))
    material(shell, COLOR_SHELL)

    lenses = sensor.camera_lens_offsets(stereo=variant.stereo)
    if variant.stereo:
        _camera(base, "camera_left", lenses[0], TOPIC_STEREO[0])
        _camera(base, "camera_right", lenses[1], TOPIC_STEREO[1])
    else:
        _camera(base, "camera", lenses[0], TOPIC_CAMERA)
    if variant.lidar:
        _lidar(base)

    for side, sign in (("left", 1.0), ("right", -1.0)):
        hinge = f"{side}_steering_hinge"
        link = sub(model, "link", name=hinge)
        pose(link, (FRONT_AXLE_X, sign * FRONT_WHEEL_Y, AXLE_Z))
        moment = 2.0 * HINGE_MASS * HINGE_RADIUS**2 / 5.0
        _inertial(link, HINGE_MASS, (moment, moment, moment))
        _revolute(model, f"{hinge}_joint", "base_link", hinge, (0.0, 0.0, 1.0), STEERING_LIMIT)
        _wheel(model, f"{side}_front_wheel", (FRONT_AXLE_X, sign * FRONT_WHEEL_Y, AXLE_Z))
        _revolute(model, f"{side}_front_wheel_joint", hinge, f"{side}_front_wheel", (0.0, 1.0, 0.0), None)
        _wheel(model, f"{side}_rear_wheel", (REAR_AXLE_X, sign * REAR_WHEEL_Y, AXLE_Z))
        _revolute(model, f"{side}_rear_wheel_joint", "base_link", f"{side}_rear_wheel", (0.0, 1.0, 0.0), None)

    _controllers(model)
    return document(model)


def car_model_files() -> dict[str, bytes]:
    """Every car variant's files, keyed by path relative to the models folder."""
    files = {}
    for variant in CAR_VARIANTS.values():
        files[f"{variant.name}/model.sdf"] = car_model_document(variant)
        files[f"{variant.name}/model.config"] = model_config(variant.name, variant.description + ".")
    return files
