"""The car model carries the AWS car's sensors and geometry (docs/deepracer-semantics.md#car-geometry,
docs/deepracer-semantics.md#observations).

Checked twice: on the XML (xml.etree) against the constants the embedded simulator uses, and
on what libsdformat12 parsed, so a value the parser would read differently also fails.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from gazebo_test_support import WORLDS

from deepracer_common import sensor_geometry as sensor
from deepracer_sim.car import parameters as car
from deepracer_sim.gazebo import car as gz_car
from deepracer_sim.gazebo.car import CAR_VARIANTS, variant_for_sensors
from deepracer_sim.gazebo.sdf_check import check_files


def _model(variant_key: str) -> ET.Element:
    root = ET.parse(WORLDS / "models" / CAR_VARIANTS[variant_key].name / "model.sdf").getroot()
    assert root.tag == "sdf" and root.get("version") == "1.9"
    return root.find("model")


def _floats(element) -> list[float]:
    return [float(v) for v in element.text.split()]


def _pose(element) -> list[float]:
    found = element.find("pose")
    return _floats(found) if found is not None else [0.0] * 6


def _sensors(model: ET.Element, kind: str) -> list[ET.Element]:
    return [s for s in model.iter("sensor") if s.get("type") == kind]


@pytest.mark.parametrize("variant_key", sorted(CAR_VARIANTS))
def test_camera_sensors_match_spec(variant_key):
    variant = CAR_VARIANTS[variant_key]
    cameras = _sensors(_model(variant_key), "camera")
    assert len(cameras) == (2 if variant.stereo else 1)
    for camera, expected_y in zip(cameras, (0.03, -0.03) if variant.stereo else (0.0,)):
        x, y, z, roll, pitch, yaw = _pose(camera)
        assert (x, z) == pytest.approx(sensor.CAMERA_OFFSET_XYZ[0::2], abs=1e-6)
        assert x == pytest.approx(0.1453) and z == pytest.approx(0.1303)
        assert y == pytest.approx(expected_y, abs=1e-9)
        # Pitched 15 degrees down: in SDF a positive pitch turns +x towards -z.
        assert pitch == pytest.approx(math.radians(15.0), abs=1e-6) and roll == 0 and yaw == 0
        assert float(camera.find("update_rate").text) == 15.0
        assert camera.find("always_on").text == "true"
        params = camera.find("camera")
        assert float(params.find("horizontal_fov").text) == pytest.approx(1.13)
        assert int(params.find("image/width").text) == 640
        assert int(params.find("image/height").text) == 480
        assert params.find("image/format").text == "R8G8B8"
        assert float(params.find("clip/near").text) == pytest.approx(sensor.CAMERA_CLIP_NEAR)


@pytest.mark.parametrize("variant_key", sorted(CAR_VARIANTS))
def test_lidar_matches_spec(variant_key):
    lidars = _sensors(_model(variant_key), "gpu_lidar")
    assert len(lidars) == (1 if CAR_VARIANTS[variant_key].lidar else 0)
    for lidar in lidars:
        x, y, z, _, _, yaw = _pose(lidar)
        # hokuyo_joint (0.02913, 0, 0.16145) from the chassis, chassis 0.023249 above base_link.
        assert (x, y, z) == pytest.approx((0.02913, 0.0, 0.16145 + 0.023249), abs=1e-6)
        assert yaw == pytest.approx(math.pi, abs=1e-6)  # facing the rear
        assert float(lidar.find("update_rate").text) == 10.0
        scan = lidar.find("lidar/scan/horizontal")
        assert int(scan.find("samples").text) == 64
        span = float(scan.find("max_angle").text) - float(scan.find("min_angle").text)
        assert math.degrees(span) == pytest.approx(300.0, abs=1e-3)
        assert float(scan.find("min_angle").text) == pytest.approx(-2.61799)
        assert float(lidar.find("lidar/range/min").text) == pytest.approx(0.15)
        assert float(lidar.find("lidar/range/max").text) == pytest.approx(12.0)
        assert float(lidar.find("lidar/range/resolution").text) == pytest.approx(0.01)
        noise = lidar.find("lidar/noise")
        assert noise.find("type").text == "gaussian"
        assert float(noise.find("stddev").text) == pytest.approx(0.01)
        assert float(noise.find("mean").text) == 0.0


def test_wheels_hinges_and_masses_match_spec():
    model = _model("camera")
    links = {link.get("name"): link for link in model.findall("link")}
    centres = {name: np.array(_pose(link)[:3]) for name, link in links.items() if name.endswith("_wheel")}
    assert set(centres) == {"left_front_wheel", "right_front_wheel", "left_rear_wheel", "right_rear_wheel"}
    wheelbase = centres["left_front_wheel"][0] - centres["left_rear_wheel"][0]
    assert wheelbase == pytest.approx(0.16397, abs=1e-5)
    assert centres["left_rear_wheel"][1] - centres["right_rear_wheel"][1] == pytest.approx(0.1621, abs=1e-4)
    assert centres["left_front_wheel"][1] - centres["right_front_wheel"][1] == pytest.approx(0.1592, abs=1e-4)
    # The embedded simulator's off-track rule uses these very wheel centres.
    xy = np.array([centres[n][:2] for n in ("left_front_wheel", "right_front_wheel", "left_rear_wheel", "right_rear_wheel")])
    np.testing.assert_allclose(xy, car.WHEEL_OFFSETS, atol=1e-9)
    for name in centres:
        link = links[name]
        assert float(link.find("inertial/mass").text) == pytest.approx(0.34055)
        radius = float(link.find("collision/geometry/cylinder/radius").text)
        assert radius == pytest.approx(0.036)
        assert float(link.find("collision/surface/friction/ode/mu").text) == 0.5
        assert float(link.find("collision/surface/friction/ode/mu2").text) == 0.5
        # The wheel stands on the ground when base_link is within a few mm of it.
        assert centres[name][2] - radius == pytest.approx(0.003, abs=0.002)
    total = sum(float(link.find("inertial/mass").text) for link in links.values())
    assert total == pytest.approx(car.DEFAULT_CAR.mass)
    assert float(links["base_link"].find("collision/surface/friction/ode/mu").text) == 0.0

    joints = {joint.get("name"): joint for joint in model.findall("joint")}
    for side in ("left", "right"):
        hinge = joints[f"{side}_steering_hinge_joint"]
        assert hinge.get("type") == "revolute" and _floats(hinge.find("axis/xyz")) == [0, 0, 1]
        assert float(hinge.find("axis/limit/upper").text) == 1.0
        assert joints[f"{side}_front_wheel_joint"].find("parent").text == f"{side}_steering_hinge"
        assert _floats(joints[f"{side}_front_wheel_joint"].find("axis/xyz")) == [0, 1, 0]


def test_drive_systems_share_one_topic_per_command():
    """Both hinges follow one steering topic and all four wheels one velocity topic (no Ackermann)."""
    model = _model("stereo_lidar")
    plugins = model.findall("plugin")
    steering = [p for p in plugins if p.get("name") == "gz::sim::systems::JointPositionController"]
    wheels = [p for p in plugins if p.get("name") == "gz::sim::systems::JointController"]
    assert sorted(p.find("joint_name").text for p in steering) == sorted(gz_car.STEERING_JOINTS)
    assert sorted(p.find("joint_name").text for p in wheels) == sorted(gz_car.WHEEL_JOINTS)
    assert {p.find("topic").text for p in steering} == {gz_car.TOPIC_STEERING}
    assert {p.find("topic").text for p in wheels} == {gz_car.TOPIC_WHEEL_VELOCITY}
    assert all(p.get("filename") == "gz-sim-joint-position-controller-system" for p in steering)
    assert all(p.get("filename") == "gz-sim-joint-controller-system" for p in wheels)
    joints = {j.get("name") for j in model.findall("joint")}
    assert set(gz_car.STEERING_JOINTS) | set(gz_car.WHEEL_JOINTS) <= joints
    odometry = [p for p in plugins if p.get("name") == "gz::sim::systems::OdometryPublisher"]
    assert len(odometry) == 1
    assert odometry[0].find("odom_frame").text == "odom"
    assert odometry[0].find("robot_base_frame").text == "base_link"


def test_parsed_values_match_spec(sdf_checker):
    """What libsdformat itself read from the files, compared with the constants."""
    files = [WORLDS / "models" / v.name / "model.sdf" for v in CAR_VARIANTS.values()]
    reports = check_files(files, checker=sdf_checker)
    for report, variant in zip(reports, CAR_VARIANTS.values()):
        assert not report.errors, report.errors
        sensors = {s["name"]: s for s in report.of_kind("sensor")}
        cameras = [s for s in sensors.values() if s["type"] == "camera"]
        assert len(cameras) == (2 if variant.stereo else 1)
        for camera in cameras:
            assert (camera["width"], camera["height"], camera["update_rate"]) == (640, 480, 15)
            assert camera["hfov"] == pytest.approx(sensor.CAMERA_HFOV)
            assert camera["pose"][4] == pytest.approx(sensor.CAMERA_PITCH, abs=1e-6)
        if variant.lidar:
            lidar = sensors["lidar"]
            assert lidar["type"] == "gpu_lidar" and lidar["samples"] == 64 and lidar["update_rate"] == 10
            assert (lidar["range_min"], lidar["range_max"]) == (0.15, 12)
            assert lidar["noise_stddev"] == pytest.approx(0.01)
            assert abs(lidar["pose"][5]) == pytest.approx(math.pi, abs=1e-5)
        else:
            assert "lidar" not in sensors
        joints = {j["name"]: j for j in report.of_kind("joint")}
        assert joints["left_steering_hinge_joint"]["upper"] == 1 and joints["left_steering_hinge_joint"]["lower"] == -1
        assert sum(link["mass"] for link in report.of_kind("link")) == pytest.approx(car.DEFAULT_CAR.mass)


@pytest.mark.parametrize(
    "sensors, expected",
    [
        (["FRONT_FACING_CAMERA"], "deepracer_camera"),
        (["FRONT_FACING_CAMERA", "SECTOR_LIDAR"], "deepracer_camera_lidar"),
        (["STEREO_CAMERAS"], "deepracer_stereo"),
        (["STEREO_CAMERAS", "LIDAR"], "deepracer_stereo_lidar"),
        (["stereo_cameras", "discretized_sector_lidar"], "deepracer_stereo_lidar"),
    ],
)
def test_variant_for_model_metadata_sensors(sensors, expected):
    assert variant_for_sensors(sensors).name == expected


def test_variant_for_unknown_sensor_names_it():
    with pytest.raises(ValueError, match="THERMAL_CAMERA"):
        variant_for_sensors(["FRONT_FACING_CAMERA", "THERMAL_CAMERA"])
