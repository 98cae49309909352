"""gazebo_bridge_node in its own process, with this test playing Gazebo and ros_gz_bridge.

The probe publishes what the bridge would bring from Gazebo (odometry, 640x480 rgb8 camera
frames) and checks that the node answers with exactly what sim_node publishes: 160x120 mono8
images, SimSteps with the embedded simulator's params and statuses, and joint commands that
follow the servo. Gazebo's set_pose service is not available here (ros_gz_interfaces comes
with ros_gz), so the probe "teleports" the car itself by reporting it at the start pose.
"""
from __future__ import annotations

import itertools
import math
import sys

import numpy as np
import pytest

pytest.importorskip("rclpy", reason="ROS 2 (rclpy) is not installed: run `make setup` and source scripts/env.sh")
pytest.importorskip("deepracer_interfaces.msg",
                    reason="the workspace is not built or not sourced: run `make setup` and source scripts/env.sh")

from gazebo_test_support import REPO  # noqa: E402

sys.path.insert(0, str(REPO / "tests" / "nodes"))
from nav_msgs.msg import Odometry  # noqa: E402
from node_harness import NodeProcess, RosProbe, ros_environment, session_domain_id  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402
from std_msgs.msg import Float64  # noqa: E402

from deepracer_common.ros import names
from deepracer_common.ros import node_support as ros  # noqa: E402
from deepracer_interfaces.msg import ServoCtrlMsg, SimStep  # noqa: E402
from deepracer_sim.gazebo import topics  # noqa: E402
from deepracer_sim.gazebo.bridge_core import observation_frame, quaternion_from_yaw  # noqa: E402
from deepracer_sim.tracks import load_track  # noqa: E402

pytestmark = pytest.mark.timeout(120)

NODE = "deepracer_sim.nodes.gazebo_bridge_node"
TRACK = "crescent_loop"
DT = 1.0 / 15.0


@pytest.fixture
def probe():
    ros_probe = RosProbe(session_domain_id(), name="gazebo_probe")
    try:
        yield ros_probe
    finally:
        ros_probe.close()


@pytest.fixture
def bridge_node(tmp_path):
    process = NodeProcess(NODE, tmp_path / "gazebo_bridge_node.log", ros_environment(session_domain_id()),
                          params={"gazebo_bridge_node": {"track": TRACK, "teleport_retry_s": 0.5}})
    try:
        yield process
    finally:
        process.stop()


def camera_frame(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # Smooth content (like a rendered scene) plus some texture.
    ramp = np.linspace(0, 200, 640)[None, :, None] + np.linspace(0, 40, 480)[:, None, None]
    return np.clip(ramp + rng.integers(0, 30, size=(480, 640, 3)), 0, 255).astype(np.uint8)


class FakeGazebo:
    def __init__(self, probe, node):
        self.probe, self.node = probe, node
        self.odom = probe.publisher(Odometry, topics.ROS_ODOM, 10)
        self.camera = probe.publisher(Image, topics.ROS_GZ_CAMERA, 10)
        self.servo = probe.publisher(ServoCtrlMsg, names.SERVO_TOPIC, ros.SERVO_QOS)
        self.steps = probe.subscribe(SimStep, names.SIM_STEP_TOPIC, ros.LOCKSTEP_QOS)
        self.images = probe.subscribe(Image, names.CAMERA_TOPIC, ros.SENSOR_QOS)
        self.steering = probe.subscribe(Float64, topics.ROS_GZ_STEERING, 10)
        self.wheels = probe.subscribe(Float64, topics.ROS_GZ_WHEEL_VELOCITY, 10)
        for publisher in (self.odom, self.camera, self.servo):
            probe.wait_for_subscribers(publisher, processes=(node,))
        probe.spin_until(lambda: probe.node.count_publishers(names.SIM_STEP_TOPIC) >= 1, 20, "SimStep publisher", (node,))
        self.time = itertools.count(1)
        self.last_rgb = None

    def report_pose(self, x, y, yaw):
        msg = Odometry()
        msg.header.frame_id, msg.child_frame_id = "odom", "base_link"
        msg.pose.pose.position.x, msg.pose.pose.position.y = float(x), float(y)
        qx, qy, qz, qw = quaternion_from_yaw(yaw)
        o = msg.pose.pose.orientation
        o.x, o.y, o.z, o.w = qx, qy, qz, qw
        self.odom.publish(msg)
        # The node's executor takes ready messages in no fixed order across topics, so the pose must
        # have been handled before the next frame is sent; 0.1 s was too short on a loaded CI machine
        # (the node can be busy compiling its numba kernels on its first messages).
        self.probe.spin_for(1.0)

    def frame(self, expect_step: bool = True) -> SimStep | None:
        """Publish one camera frame; return the SimStep it produced (or None after a short wait)."""
        tick = next(self.time)
        rgb = camera_frame(tick)
        self.last_rgb = rgb
        msg = Image()
        msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(int(round(tick * DT * 1e9)), 1_000_000_000)
        msg.height, msg.width, msg.encoding, msg.step = 480, 640, "rgb8", 640 * 3
        msg.data = rgb.tobytes()
        before = len(self.steps)
        self.camera.publish(msg)
        if not expect_step:
            self.probe.spin_for(0.5)
            assert len(self.steps) == before, "a frame that should not be a step produced a SimStep"
            return None
        self.probe.spin_until(lambda: len(self.steps) > before, 15, f"SimStep for frame {tick}", (self.node,))
        return self.steps[-1]


def test_node_turns_gazebo_frames_into_sim_steps(probe, bridge_node):
    gazebo = FakeGazebo(probe, bridge_node)
    track = load_track(TRACK)
    start = (*track.point_at(0.0), track.heading_at(0.0))

    # The car is not at the start yet (Gazebo has not moved it): frames are not steps.
    gazebo.report_pose(start[0] + 1.0, start[1], start[2])
    gazebo.frame(expect_step=False)

    # At the start: the episode's first observation, status prepare, 160x120 mono8 as sim_node sends.
    gazebo.report_pose(*start)
    first = gazebo.frame()
    assert first.status.status == "prepare" and not first.status.done
    (image,) = first.images
    assert (image.width, image.height, image.encoding) == (160, 120, "mono8")
    assert image.header.frame_id == names.CAMERA_OPTICAL_FRAME
    np.testing.assert_array_equal(np.frombuffer(bytes(image.data), np.uint8).reshape(120, 160),
                                  observation_frame(gazebo.last_rgb))
    probe.spin_until(lambda: gazebo.images, 5, "/camera/image_raw", (bridge_node,))

    # A servo command during the prepare step does not move the car.
    servo = ServoCtrlMsg(angle=0.5, throttle=0.6)
    gazebo.servo.publish(servo)
    probe.spin_until(lambda: gazebo.wheels, 5, "wheel command", (bridge_node,))
    assert gazebo.wheels[-1].data == 0.0

    prepare = gazebo.frame()
    assert prepare.status.status == "prepare" and prepare.status.steps == 1.0
    # With no AgentAction the params report the servo's command (workshop action space: 30°, 1 m/s at full).
    assert prepare.params.steering_angle == pytest.approx(15.0, abs=1e-4)

    # Running: the wheels and hinges follow the servo, params describe the reported pose.
    gazebo.servo.publish(servo)
    probe.spin_until(lambda: gazebo.wheels and gazebo.wheels[-1].data > 0, 5, "wheels turning", (bridge_node,))
    assert gazebo.steering[-1].data == pytest.approx(math.radians(15.0), abs=1e-5)
    moved = (start[0] + 0.05 * math.cos(start[2]), start[1] + 0.05 * math.sin(start[2]), start[2])
    gazebo.report_pose(*moved)
    running = gazebo.frame()
    assert running.status.status == "in_progress" and running.status.steps == 2.0
    assert running.params.x == pytest.approx(start[0] + 0.14 * math.cos(start[2]), abs=1e-6)
    assert running.params.all_wheels_on_track

    # Far off the track: the step at that pose ends the training episode off_track ...
    gazebo.report_pose(start[0] + 30.0, start[1] + 30.0, start[2])
    gazebo.frame()
    off = gazebo.frame()
    assert off.status.status == "off_track" and off.status.done and off.params.is_offtrack
    # ... and the next episode starts 5 % further along (round robin) once Gazebo shows the car there.
    gazebo.frame(expect_step=False)
    arc = 0.05 * track.length
    gazebo.report_pose(*track.point_at(arc), track.heading_at(arc))
    second = gazebo.frame()
    assert second.status.status == "prepare" and second.status.episode == 1
    assert "cannot move the car" in bridge_node.log_text() or "set_pose" in bridge_node.log_text()
