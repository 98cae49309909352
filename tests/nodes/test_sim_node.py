"""sim_node in its own process: sensor topics, servo semantics, lock-step protocol, services."""
from __future__ import annotations

import math
import statistics
import time

import numpy as np
import pytest
from nav_msgs.msg import Odometry
from sensor_msgs.msg import CameraInfo, Image, LaserScan
from std_srvs.srv import SetBool

from deepracer_common import sensor_geometry as geometry
from deepracer_common.action_space import discrete_from_garage
from deepracer_common.model_metadata import ModelMetadata
from deepracer_common.ros import names
from deepracer_common.ros import node_support as ros
from deepracer_interfaces.msg import AgentAction, EpisodeStatus, ServoCtrlMsg, SimStep, TrackInfo
from deepracer_interfaces.srv import ResetEpisode, SetTrack

pytestmark = pytest.mark.timeout(120)
SIM = "deepracer_sim.nodes.sim_node"
CONTROL = "deepracer_control.nodes.control_node"
ACTIONS = discrete_from_garage(30.0, 5, 1.0, 3)  # speeds 0.33, 0.67, 1.0: none is a float32 value


def write_model(folder, sensors):
    ModelMetadata(action_space=ACTIONS, sensor=list(sensors)).save(folder / "model_metadata.json")
    return str(folder)


def test_camera_scan_and_odometry_have_the_right_shapes_encodings_and_frames(probe, start_node):
    sim = start_node(SIM, {"sim_node": {"sensors": ["FRONT_FACING_CAMERA", "LIDAR"], "mode": "realtime"}})
    images = probe.subscribe(Image, names.CAMERA_TOPIC, ros.SENSOR_QOS)
    infos = probe.subscribe(CameraInfo, names.CAMERA_INFO_TOPIC, ros.SENSOR_QOS)
    scans = probe.subscribe(LaserScan, names.SCAN_TOPIC, ros.SENSOR_QOS)
    odoms = probe.subscribe(Odometry, names.ODOM_TOPIC, ros.SENSOR_QOS)
    steps = probe.subscribe(SimStep, names.SIM_STEP_TOPIC, ros.LOCKSTEP_QOS)
    tracks = probe.subscribe(TrackInfo, names.TRACK_TOPIC, ros.LATCHED_QOS)
    probe.spin_until(lambda: images and infos and scans and odoms and steps and tracks, 60, "sensor topics", (sim,))

    image = images[-1]
    assert (image.width, image.height, image.encoding, image.step) == (160, 120, "mono8", 160)
    assert len(image.data) == 160 * 120
    assert image.header.frame_id == names.CAMERA_OPTICAL_FRAME
    pixels = np.frombuffer(bytes(image.data), dtype=np.uint8)
    assert pixels.std() > 5, "a rendered track view, not a blank frame"

    info = infos[-1]
    assert info.header.frame_id == names.CAMERA_OPTICAL_FRAME and (info.width, info.height) == (160, 120)
    focal = 80.0 / math.tan(geometry.CAMERA_HFOV / 2.0)  # 160 px across a 1.13 rad field of view
    assert info.k[0] == pytest.approx(focal) and info.k[4] == pytest.approx(focal)
    # The principal point is the renderer's (geometry.camera_intrinsics), at the image centre.
    assert list(info.k) == pytest.approx(list(geometry.camera_intrinsics(160, 120).ravel()))
    assert abs(info.k[2] - 80.0) <= 0.5 and abs(info.k[5] - 60.0) <= 0.5

    scan = scans[-1]
    assert scan.header.frame_id == names.LASER_FRAME
    assert len(scan.ranges) == 64
    assert scan.angle_min == pytest.approx(-2.61799, abs=1e-5) and scan.angle_max == pytest.approx(2.61799, abs=1e-5)
    assert scan.angle_min + 63 * scan.angle_increment == pytest.approx(scan.angle_max, abs=1e-5)
    assert (scan.range_min, scan.range_max) == (pytest.approx(0.15), pytest.approx(12.0))
    assert all(math.isinf(r) or scan.range_min <= r <= scan.range_max for r in scan.ranges)

    odom = odoms[-1]
    assert (odom.header.frame_id, odom.child_frame_id) == (names.ODOM_FRAME, names.BASE_FRAME)
    step = steps[-1]
    assert len(step.images) == 1 and step.images[0].encoding == "mono8" and len(step.lidar) == 64
    track = tracks[-1]
    assert track.name == "crescent_loop" and len(track.waypoints) > 10 and track.length > 5.0
    assert sim.alive()


def test_stereo_cameras_publish_left_and_right(probe, start_node, tmp_path):
    sim = start_node(SIM, {"sim_node": {"model_path": write_model(tmp_path, ["STEREO_CAMERAS"]),
                                        "mode": "lockstep"}})
    lefts = probe.subscribe(Image, names.STEREO_LEFT_TOPIC, ros.SENSOR_QOS)
    rights = probe.subscribe(Image, names.STEREO_RIGHT_TOPIC, ros.SENSOR_QOS)
    steps = probe.subscribe(SimStep, names.SIM_STEP_TOPIC, ros.LOCKSTEP_QOS)
    # In lock-step the first step's topics go out once; the resent SimStep proves the node is up.
    probe.spin_until(lambda: steps, 60, "a SimStep", (sim,))
    assert [i.header.frame_id for i in steps[-1].images] == [names.LEFT_CAMERA_OPTICAL_FRAME,
                                                              names.RIGHT_CAMERA_OPTICAL_FRAME]
    assert all((i.width, i.height, i.encoding) == (160, 120, "mono8") for i in steps[-1].images)
    assert len(steps[-1].lidar) == 0
    left, right = (np.frombuffer(bytes(i.data), np.uint8) for i in steps[-1].images)
    assert not np.array_equal(left, right), "the two lenses sit 6 cm apart"
    if lefts and rights:  # published with the first step, which may predate our subscription
        assert lefts[-1].header.frame_id == names.LEFT_CAMERA_OPTICAL_FRAME


def yaw_rates(probe, sim, servo_pub, angle: float, seconds: float = 2.5) -> list[float]:
    """Drive with a constant servo command; the yaw rates of the samples in which the car moves forward."""
    odoms = probe.subscribe(Odometry, names.ODOM_TOPIC, ros.SENSOR_QOS)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        servo_pub.publish(ServoCtrlMsg(angle=angle, throttle=0.6))
        probe.spin_for(0.05)
    assert sim.alive()
    moving = [m for m in odoms[len(odoms) // 3:] if m.twist.twist.linear.x > 0.05]
    assert len(moving) >= 5, f"the car should drive forward with throttle 0.6, got {len(moving)} moving samples"
    return [m.twist.twist.angular.z for m in moving]


def test_positive_servo_angle_turns_left(probe, start_node):
    # Evaluation rules with resets: a car that leaves the track is put back instead of ending the episode.
    sim = start_node(SIM, {"sim_node": {"mode": "realtime", "evaluation": True, "number_of_resets": 1000,
                                        "off_track_penalty": 0.0}})
    servo = probe.publisher(ServoCtrlMsg, names.SERVO_TOPIC, ros.SERVO_QOS)
    probe.wait_for_subscribers(servo, processes=(sim,), timeout=60)
    probe.spin_until(lambda: probe.node.count_publishers(names.ODOM_TOPIC), 30, "odometry", (sim,))
    left = statistics.median(yaw_rates(probe, sim, servo, +0.8))
    right = statistics.median(yaw_rates(probe, sim, servo, -0.8))
    assert left > 0.2, f"angle +0.8 must turn left (counter-clockwise), yaw rate {left:.3f} rad/s"
    assert right < -0.2, f"angle -0.8 must turn right (clockwise), yaw rate {right:.3f} rad/s"

    # Out-of-range channels are logged and ignored, the node keeps running (like the car's servo_node).
    for bad in (ServoCtrlMsg(angle=2.0, throttle=0.5), ServoCtrlMsg(angle=0.0, throttle=math.nan)):
        servo.publish(bad)
        probe.spin_for(0.2)
    probe.spin_until(lambda: "outside [-1, 1]" in sim.log_text(), 10, "the log of the bad servo message", (sim,))
    assert sim.alive()


def test_a_car_nobody_drives_is_neither_immobilized_nor_reset(probe, start_node):
    """The simulation scenario (config/simulation.yaml: realtime, demo rules with resets) before agent_node starts,
    and after someone drove the car by hand over the servo topic and stopped: the car stands where it is."""
    from pathlib import Path

    sim = start_node(SIM, params_files=[Path(__file__).resolve().parents[2] / "config" / "simulation.yaml"])
    statuses = probe.subscribe(EpisodeStatus, names.EPISODE_STATUS_TOPIC, 100)
    odoms = probe.subscribe(Odometry, names.ODOM_TOPIC, 100)
    # 45 steps, 3 s at 15 Hz: 15 steps standing still would have made an "immobilized" and a reset.
    probe.spin_until(lambda: len(statuses) >= 45, 60, "45 steps", (sim,))
    assert {m.status for m in statuses} <= {"prepare", "in_progress"}
    assert {(m.episode, m.reset_count) for m in statuses} == {(0, 0)}
    assert len({(m.pose.pose.position.x, m.pose.pose.position.y) for m in odoms}) == 1, "it stands at its start"

    servo = probe.publisher(ServoCtrlMsg, names.SERVO_TOPIC, ros.SERVO_QOS)
    probe.wait_for_subscribers(servo, processes=(sim,), timeout=60)
    start = odoms[-1].pose.pose.position

    def moved() -> bool:
        servo.publish(ServoCtrlMsg(angle=0.0, throttle=0.5))
        here = odoms[-1].pose.pose.position
        return math.hypot(here.x - start.x, here.y - start.y) > 0.2

    probe.spin_until(moved, 30, "the car driven by hand", (sim,))
    for _ in range(5):
        servo.publish(ServoCtrlMsg(angle=0.0, throttle=0.0))
        probe.spin_for(0.05)
    stopped_at = len(statuses)
    probe.spin_until(lambda: len(statuses) >= stopped_at + 45, 60, "45 steps after stopping", (sim,))
    assert {m.status for m in statuses} <= {"prepare", "in_progress"}
    assert {(m.episode, m.reset_count) for m in statuses} == {(0, 0)}
    # Braked to rest (the speed controller's exponential approach leaves nanometres per step).
    last = odoms[-1].pose.pose.position
    for m in odoms[-20:]:
        assert math.hypot(m.pose.pose.position.x - last.x, m.pose.pose.position.y - last.y) < 1e-6
        assert abs(m.twist.twist.linear.x) < 1e-6
    assert sim.alive()


class LockstepRig:
    """sim_node in lock-step with control_node on sim time; the test plays agent_node."""

    def __init__(self, probe, start_node, tmp_path):
        model = write_model(tmp_path, ["FRONT_FACING_CAMERA"])
        self.probe = probe
        self.sim = start_node(SIM, {"sim_node": {"mode": "lockstep", "model_path": model,
                                                 "lockstep_resend_s": 0.5}})
        self.control = start_node(CONTROL, {"control_node": {"model_path": model, "throttle_scale": 1.0,
                                                             "watchdog_timeout": 0.5, "use_sim_time": True}})
        self.steps = probe.subscribe(SimStep, names.SIM_STEP_TOPIC, ros.LOCKSTEP_QOS)
        self.servo = probe.subscribe(ServoCtrlMsg, names.SERVO_TOPIC, ros.SERVO_QOS)
        self.actions = probe.publisher(AgentAction, names.ACTION_TOPIC, ros.LOCKSTEP_QOS)
        self.servo_pub = probe.publisher(ServoCtrlMsg, names.SERVO_TOPIC, ros.SERVO_QOS)
        self.processes = (self.sim, self.control)
        probe.wait_for_subscribers(self.actions, 2, timeout=60, processes=self.processes)
        probe.spin_until(lambda: self.steps, 60, "the first SimStep", self.processes)

    @property
    def newest(self) -> int:
        return max(m.step for m in self.steps)

    def answer(self, index: int) -> SimStep:
        """Answer the newest SimStep with an action; return the step it produced."""
        waiting = self.newest
        sent = [0.0]

        def answered() -> bool:
            # Like agent_node, answer sim_node's resends too (a servo message lost before discovery completes).
            if self.newest > waiting:
                return True
            if time.monotonic() - sent[0] > 0.5:
                self.actions.publish(AgentAction(step=waiting, action_index=index))
                sent[0] = time.monotonic()
            return False

        self.probe.spin_until(answered, 20, f"the step after {waiting}", self.processes)
        return next(m for m in self.steps if m.step == waiting + 1)


def test_lockstep_advances_once_per_action_and_reports_the_commanded_action(probe, start_node, tmp_path):
    rig = LockstepRig(probe, start_node, tmp_path)
    first = rig.newest
    after = rig.answer(4)  # the prepare step: the command is held at zero, but the params show the action
    assert after.step == first + 1
    index = 7  # steering 0°, 0.67 m/s
    result = rig.answer(index)
    steering, speed = ACTIONS.command(index)
    # The action's exact command, not the servo's float32 round trip (0.6700000166893005).
    assert result.params.speed == speed == 0.67
    assert result.params.steering_angle == steering
    assert result.status.status in ("in_progress", "off_track", "lap_complete")

    # A stale answer (an old step) does not advance the loop.
    waiting = rig.newest
    rig.actions.publish(AgentAction(step=waiting - 1, action_index=index))
    probe.spin_for(1.2)
    assert rig.newest == waiting
    assert rig.sim.alive() and rig.control.alive()


def test_watchdog_zero_never_advances_a_lockstep_episode(probe, start_node, tmp_path):
    rig = LockstepRig(probe, start_node, tmp_path)
    rig.answer(7)
    rig.answer(7)
    waiting = rig.newest
    servo_before = len(rig.servo)
    # The agent goes quiet for 2.5 s of wall clock, five times the watchdog. control_node runs on sim time,
    # which stands still while sim_node waits: no zero is sent, and nothing steps.
    probe.spin_for(2.5)
    assert rig.newest == waiting, "the episode advanced without an action"
    assert all(m.throttle != 0.0 for m in rig.servo[servo_before:]), "the watchdog fired on a frozen clock"
    assert all(m.step == waiting for m in rig.steps if m.step >= waiting), "only resends of the waiting step"

    # A zero command from elsewhere (a watchdog on wall time, a stop) is not a step either, and it is logged.
    for _ in range(5):
        rig.servo_pub.publish(ServoCtrlMsg(angle=0.0, throttle=0.0))
        probe.spin_for(0.2)
    assert rig.newest == waiting
    probe.spin_until(lambda: "not a step" in rig.sim.log_text(), 10, "sim_node's warning", rig.processes)
    # The real answer still works, and moves exactly one step.
    assert rig.answer(7).step == waiting + 1
    probe.spin_for(1.0)
    assert rig.newest == waiting + 1


def test_reset_pause_and_set_track_services(probe, start_node, tmp_path):
    sim = start_node(SIM, {"sim_node": {"mode": "realtime"}})
    steps = probe.subscribe(SimStep, names.SIM_STEP_TOPIC, ros.LOCKSTEP_QOS)
    statuses = probe.subscribe(EpisodeStatus, names.EPISODE_STATUS_TOPIC, 10)
    tracks = probe.subscribe(TrackInfo, names.TRACK_TOPIC, ros.LATCHED_QOS)
    probe.spin_until(lambda: steps and tracks, 60, "the simulation running", (sim,))

    reply = probe.call(ResetEpisode, names.RESET_EPISODE_SERVICE, ResetEpisode.Request(start_ndist=0.5), processes=(sim,))
    assert reply.success and reply.step > 0
    probe.spin_until(lambda: any(m.step == reply.step for m in steps), 10, "the new episode's first step", (sim,))
    first = next(m for m in steps if m.step == reply.step)
    assert first.status.steps == 0 and first.status.status == "prepare"
    bad = probe.call(ResetEpisode, names.RESET_EPISODE_SERVICE, ResetEpisode.Request(start_ndist=1.5), processes=(sim,))
    assert not bad.success and "[0, 1)" in bad.message

    assert probe.call(SetBool, names.PAUSE_SERVICE, SetBool.Request(data=True), processes=(sim,)).success
    probe.spin_for(0.3)
    paused_at = max(m.step for m in steps)
    probe.spin_for(1.0)
    assert max(m.step for m in steps) == paused_at, "a paused simulator does not step"
    assert probe.call(SetBool, names.PAUSE_SERVICE, SetBool.Request(data=False), processes=(sim,)).success
    probe.spin_until(lambda: max(m.step for m in steps) > paused_at + 3, 10, "steps after unpausing", (sim,))

    unknown = probe.call(SetTrack, names.SET_TRACK_SERVICE, SetTrack.Request(track="no_such_track"), processes=(sim,))
    assert not unknown.success and "no_such_track" in unknown.message
    switched = probe.call(SetTrack, names.SET_TRACK_SERVICE, SetTrack.Request(track="beginner_oval", reverse=True),
                          processes=(sim,))
    assert switched.success, switched.message
    probe.spin_until(lambda: tracks[-1].name == "beginner_oval", 10, "the new TrackInfo", (sim,))
    assert tracks[-1].is_reversed
    assert sim.alive() and statuses


def rotate(xyzw, vector):
    """Rotate a vector by a unit quaternion (x, y, z, w)."""
    x, y, z, w = xyzw
    q = np.array([x, y, z])
    v = np.asarray(vector, dtype=float)
    return v + 2.0 * np.cross(q, np.cross(q, v) + w * v)


def test_tf_tree_follows_rep_103_and_105(probe, start_node, standin_env):
    from pathlib import Path

    standin = str(Path(__file__).with_name("car_standin.py"))
    listener = start_node(standin, env=standin_env, args=["tf"])
    sim = start_node(SIM, env=standin_env, params={"sim_node": {"mode": "realtime",
                                                                "sensors": ["FRONT_FACING_CAMERA", "LIDAR"]}})
    odoms = probe.subscribe(Odometry, names.ODOM_TOPIC, ros.SENSOR_QOS)

    def transforms():
        import json

        return [json.loads(line) for line in listener.log_text().splitlines() if line.startswith("{")]

    def have_all():
        seen = {(t["parent"], t["child"]) for t in transforms()}
        return {("map", "odom"), ("base_link", "camera_link"), ("camera_link", "camera_optical_frame"),
                ("base_link", "laser"), ("odom", "base_link")} <= seen and odoms

    probe.spin_until(have_all, 60, "the whole TF tree", (sim, listener))
    tf = {}
    for t in transforms():
        tf[(t["parent"], t["child"])] = t
    assert all(t["topic"] == "/tf_static" for key, t in tf.items() if key != ("odom", "base_link"))
    assert tf[("odom", "base_link")]["topic"] == "/tf"
    assert tf[("map", "odom")]["xyz"] == [0.0, 0.0, 0.0]
    # Camera: 0.145 m ahead, 0.130 m up, looking 15° down; optical frame z forward, x right, y down.
    camera = tf[("base_link", "camera_link")]
    assert camera["xyz"] == pytest.approx(list(geometry.CAMERA_OFFSET_XYZ))
    forward = rotate(camera["xyzw"], [1.0, 0.0, 0.0])
    assert forward == pytest.approx([math.cos(math.radians(15)), 0.0, -math.sin(math.radians(15))], abs=1e-6)
    optical = tf[("camera_link", "camera_optical_frame")]["xyzw"]
    assert rotate(optical, [0, 0, 1]) == pytest.approx([1, 0, 0], abs=1e-9)   # optical z = forward
    assert rotate(optical, [1, 0, 0]) == pytest.approx([0, -1, 0], abs=1e-9)  # optical x = right
    assert rotate(optical, [0, 1, 0]) == pytest.approx([0, 0, -1], abs=1e-9)  # optical y = down
    # LIDAR: faces the rear (yaw π), so the scan's 0 rad ray points backwards.
    laser = tf[("base_link", "laser")]
    assert rotate(laser["xyzw"], [1, 0, 0]) == pytest.approx([-1, 0, 0], abs=1e-6)
    # odom -> base_link is the pose on /odom.
    def same_steps():
        moving = [t for t in transforms() if t["child"] == "base_link"]
        stamps = {round(m.header.stamp.sec + m.header.stamp.nanosec * 1e-9, 6): m for m in odoms}
        return [(t, stamps[round(t["stamp"], 6)]) for t in moving if round(t["stamp"], 6) in stamps]

    # The listener prints from its own process and may not have printed the step the probe just received.
    matched = probe.spin_until(same_steps, 10, "a /tf transform of a step seen on /odom", (sim, listener))
    assert matched, "TF and odometry come from the same steps"
    t, odom = matched[-1]
    assert t["xyz"][:2] == pytest.approx([odom.pose.pose.position.x, odom.pose.pose.position.y])
    assert sim.alive()


def test_rviz_markers_show_track_waypoints_obstacles_and_bot_cars(probe, start_node):
    from visualization_msgs.msg import Marker, MarkerArray

    sim = start_node(SIM, {"sim_node": {"mode": "realtime", "race_type": "OBJECT_AVOIDANCE",
                                        "number_of_obstacles": 3, "number_of_bot_cars": 2}})
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

    # Two writers share the topic (track; car and objects): keep more than one sample, as RViz's display does.
    qos = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL)
    arrays = probe.subscribe(MarkerArray, names.MARKERS_TOPIC, qos)
    tracks = probe.subscribe(TrackInfo, names.TRACK_TOPIC, ros.LATCHED_QOS)

    def markers():
        return [m for a in arrays for m in a.markers]

    def complete():
        spaces = {m.ns for m in markers()}
        return tracks and {"borders", "centre_line", "waypoints", "waypoint_numbers", "car", "obstacles",
                           "bot_cars"} <= spaces

    probe.spin_until(complete, 60, "track, car, obstacle and bot car markers", (sim,))
    found = markers()
    waypoints = len(tracks[-1].waypoints)
    numbers = {m.text for m in found if m.ns == "waypoint_numbers"}
    assert numbers == {str(i) for i in range(waypoints)}, "every waypoint is numbered, from 0"
    assert {m.id for m in found if m.ns == "borders"} == {0, 1}
    assert all(m.header.frame_id == names.MAP_FRAME for m in found if m.action == Marker.ADD)
    assert len({m.id for m in found if m.ns == "obstacles"}) == 3
    assert len({m.id for m in found if m.ns == "bot_cars"}) == 2
    box = next(m for m in found if m.ns == "obstacles")
    assert (box.scale.x, box.scale.y, box.scale.z) == pytest.approx((0.4, 0.3, 0.25))
