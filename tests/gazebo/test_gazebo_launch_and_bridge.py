"""The launch plan, the launch file and config/gz_bridge.yaml agree with the car model and the nodes."""
from __future__ import annotations

import ast
import json
import xml.etree.ElementTree as ET

import pytest
import yaml

from deepracer_sim.gazebo import topics
from deepracer_sim.gazebo.car import CAR_VARIANTS
from deepracer_sim.gazebo.launch_plan import plan
from deepracer_sim.gazebo.sdf_check import check_files
from deepracer_sim.tracks import list_tracks, load_track
from gazebo_test_support import REPO, WORLDS

BRIDGE = REPO / "config" / "gz_bridge.yaml"
LAUNCH = REPO / "launch" / "gazebo.launch.py"
NODE = REPO / "src" / "deepracer_sim" / "deepracer_sim" / "nodes" / "gazebo_bridge_node.py"

# ROS <-> Gazebo message pairs ros_gz_bridge converts (ros_gz_bridge README, Jazzy).
KNOWN_PAIRS = {
    ("rosgraph_msgs/msg/Clock", "gz.msgs.Clock"),
    ("nav_msgs/msg/Odometry", "gz.msgs.Odometry"),
    ("tf2_msgs/msg/TFMessage", "gz.msgs.Pose_V"),
    ("sensor_msgs/msg/Image", "gz.msgs.Image"),
    ("sensor_msgs/msg/CameraInfo", "gz.msgs.CameraInfo"),
    ("sensor_msgs/msg/LaserScan", "gz.msgs.LaserScan"),
    ("std_msgs/msg/Float64", "gz.msgs.Double"),
}
ALLOWED_KEYS = {"topic_name", "ros_topic_name", "gz_topic_name", "ros_type_name", "gz_type_name", "direction",
                "lazy", "publisher_queue", "subscriber_queue", "qos_profile", "publish_optical_frame"}


def _bridge_entries() -> list[dict]:
    entries = yaml.safe_load(BRIDGE.read_text())
    assert isinstance(entries, list) and entries, "gz_bridge.yaml must be a non-empty YAML list"
    return entries


def test_bridge_entries_are_valid_ros_gz_bridge_config():
    seen = set()
    for entry in _bridge_entries():
        assert set(entry) <= ALLOWED_KEYS, entry
        assert (entry["ros_type_name"], entry["gz_type_name"]) in KNOWN_PAIRS, entry
        assert entry["direction"] in ("GZ_TO_ROS", "ROS_TO_GZ"), entry
        assert entry["ros_topic_name"].startswith("/") and entry["gz_topic_name"].startswith("/")
        assert entry["ros_topic_name"] not in seen, f"{entry['ros_topic_name']} bridged twice"
        seen.add(entry["ros_topic_name"])


def test_bridge_covers_every_gazebo_topic_of_the_car_and_nothing_else():
    by_gz = {e["gz_topic_name"]: e for e in _bridge_entries()}
    model_topics = set()
    for variant in CAR_VARIANTS.values():
        model = ET.parse(WORLDS / "models" / variant.name / "model.sdf").getroot().find("model")
        for sensor in model.iter("sensor"):
            topic = sensor.find("topic").text
            model_topics.add(topic)
            if sensor.get("type") == "camera":
                model_topics.add(topics.gz_camera_info(topic))
        for plugin in model.findall("plugin"):
            for tag in ("topic", "odom_topic", "tf_topic"):
                element = plugin.find(tag)
                if element is not None:
                    model_topics.add(element.text)
    model_topics.add(topics.GZ_CLOCK)
    # The stereo cameras' camera_info is not needed (the node publishes the 160x120 model).
    optional = {topics.gz_camera_info(t) for t in topics.GZ_STEREO}
    assert set(by_gz) == model_topics - optional
    # Directions: sensors and odometry come from Gazebo, commands go to it.
    assert by_gz[topics.GZ_STEERING]["direction"] == "ROS_TO_GZ"
    assert by_gz[topics.GZ_WHEEL_VELOCITY]["direction"] == "ROS_TO_GZ"
    assert all(by_gz[t]["direction"] == "GZ_TO_ROS" for t in (topics.GZ_CAMERA, topics.GZ_SCAN, topics.GZ_ODOMETRY))


def test_bridge_lands_on_the_topics_the_node_and_the_stack_use():
    by_ros = {e["ros_topic_name"]: e for e in _bridge_entries()}
    assert by_ros[topics.ROS_GZ_CAMERA]["gz_topic_name"] == topics.GZ_CAMERA
    assert by_ros[topics.ROS_GZ_CAMERA_INFO]["gz_topic_name"] == topics.gz_camera_info(topics.GZ_CAMERA)
    assert [by_ros[t]["gz_topic_name"] for t in topics.ROS_GZ_STEREO] == list(topics.GZ_STEREO)
    assert by_ros[topics.ROS_GZ_SCAN]["gz_topic_name"] == topics.GZ_SCAN
    assert by_ros[topics.ROS_GZ_STEERING]["gz_topic_name"] == topics.GZ_STEERING
    assert by_ros[topics.ROS_GZ_WHEEL_VELOCITY]["gz_topic_name"] == topics.GZ_WHEEL_VELOCITY
    # Straight through: the names sim_node uses for them (ros_common).
    assert by_ros["/odom"]["gz_topic_name"] == topics.GZ_ODOMETRY
    assert by_ros["/tf"]["gz_topic_name"] == topics.GZ_TF
    assert by_ros["/clock"]["ros_type_name"] == "rosgraph_msgs/msg/Clock"
    # Never bridged directly: the node produces these in sim_node's format.
    for produced in ("/camera/image_raw", "/camera/camera_info", "/scan", "/deepracer/sim_step",
                     "/deepracer/reward_params", "/deepracer/episode_status", "/ctrl_pkg/servo_msg"):
        assert produced not in by_ros


def _node_parameters() -> set[str]:
    tree = ast.parse(NODE.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "PARAMETERS" for t in node.targets):
            return {ast.literal_eval(key) for key in node.value.keys}
    raise AssertionError("gazebo_bridge_node.py has no PARAMETERS table")


def test_launch_file_sets_only_declared_node_parameters():
    source = LAUNCH.read_text()
    compile(source, str(LAUNCH), "exec")
    tree = ast.parse(source)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "Node"]
    bridge_node = next(c for c in calls if any(k.arg == "executable" and ast.literal_eval(k.value) ==
                                                "gazebo_bridge_node" for k in c.keywords))
    parameters = next(k.value for k in bridge_node.keywords if k.arg == "parameters")
    keys = {ast.literal_eval(k) for d in parameters.elts if isinstance(d, ast.Dict) for k in d.keys if k is not None}
    assert keys, "no parameters found for gazebo_bridge_node"
    assert keys <= _node_parameters() | {"use_sim_time"}, keys - _node_parameters()
    executables = {ast.literal_eval(k.value) for c in calls for k in c.keywords if k.arg == "executable"}
    assert {"create", "parameter_bridge", "gazebo_bridge_node", "agent_node", "control_node"} <= executables
    assert "gz_bridge.yaml" in source and "gz_sim.launch.py" in source


def test_plan_for_a_shipped_track_uses_the_committed_world(tmp_path):
    track = list_tracks()[0]
    setup = plan(track, WORLDS, cache_dir=tmp_path / "cache")
    assert setup.world_file == WORLDS / f"{setup.world_name}.sdf"
    assert setup.resource_paths == (str(WORLDS / "models"),)
    assert setup.car == CAR_VARIANTS["camera"] and setup.car_file.is_file()
    assert not (tmp_path / "cache").exists()
    reference = load_track(track)
    x, y = reference.point_at(0.0)
    assert setup.spawn_pose[:2] == pytest.approx((x, y))
    assert setup.spawn_pose[3] == pytest.approx(reference.heading_at(0.0))
    args = list(setup.spawn_args)
    assert args[args.index("-world") + 1] == setup.world_name and args[args.index("-name") + 1] == topics.CAR_ENTITY
    assert setup.service_bridge_args == (f"/world/{setup.world_name}/set_pose@ros_gz_interfaces/srv/SetEntityPose",)
    assert setup.gz_args == f"-r {setup.world_file}"
    assert plan(track, WORLDS, headless=True).gz_args.startswith("-r -s --headless-rendering ")


def test_plan_picks_the_car_that_carries_the_models_sensors(tmp_path):
    metadata = {"sensor": ["STEREO_CAMERAS", "SECTOR_LIDAR"], "neural_network": "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW",
                "action_space_type": "discrete",
                "action_space": [{"steering_angle": 0.0, "speed": 1.0, "index": 0}], "version": "5"}
    (tmp_path / "model_metadata.json").write_text(json.dumps(metadata))
    setup = plan(list_tracks()[0], WORLDS, model_path=tmp_path)
    assert setup.car == CAR_VARIANTS["stereo_lidar"]
    assert plan(list_tracks()[0], WORLDS, model_path=tmp_path, car="camera").car == CAR_VARIANTS["camera"]
    with pytest.raises(ValueError, match="unknown car"):
        plan(list_tracks()[0], WORLDS, car="tank")


def test_plan_generates_a_world_for_any_route_file(tmp_path, aws_tracks, sdf_checker):
    cache = tmp_path / "cache"
    setup = plan(str(aws_tracks / "reinvent_base.npy"), WORLDS, cache_dir=cache, reverse=True)
    assert setup.world_file == cache / "reinvent_base.sdf" and setup.world_file.is_file()
    assert setup.resource_paths[0] == str(cache / "models")
    reversed_track = load_track(aws_tracks / "reinvent_base.npy", reverse=True)
    assert setup.spawn_pose[3] == pytest.approx(reversed_track.heading_at(0.0))
    (report,) = check_files([setup.world_file], [cache / "models", WORLDS / "models"], checker=sdf_checker)
    assert not report.errors, report.errors
    (car,) = check_files([setup.car_file], checker=sdf_checker)
    assert not car.errors
