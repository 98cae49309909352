"""The topics a simulator front end publishes, shared by sim_node and gazebo_bridge_node.

Per step: the bundled /deepracer/sim_step (what agent_node answers), /deepracer/episode_status,
/deepracer/reward_params, the camera images and camera_info, /scan, and the RViz car and object markers;
sim_node also publishes /clock, /odom and the odom -> base_link transform, which Gazebo provides itself.
Per track: /deepracer/track, its markers and the static sensor frames.
"""
from __future__ import annotations

import array
import time

import numpy as np
from nav_msgs.msg import Odometry
from rosgraph_msgs.msg import Clock as ClockMsg
from sensor_msgs.msg import CameraInfo, Image, LaserScan
from visualization_msgs.msg import MarkerArray

from deepracer_common.ros import messages, names, views
from deepracer_common.ros import node_support as ros
from deepracer_interfaces.msg import EpisodeStatus, RewardParams, SimStep, TrackInfo
from deepracer_sim.car.parameters import CAR_SIZE
from deepracer_sim.stepping.report import StepReport

MONO_FRAMES = (names.CAMERA_OPTICAL_FRAME,)
STEREO_FRAMES = (names.LEFT_CAMERA_OPTICAL_FRAME, names.RIGHT_CAMERA_OPTICAL_FRAME)


class StepPublisher:
    """Publishers of one front-end node.

    clock_and_odometry: also publish /clock, /odom and /tf (the embedded simulator is the only source of them).
    display_period_s: publish the display topics (camera, scan, odometry, TF, markers, params) at most this
    often, wall clock; SimStep and /clock go out every step, the status too when the episode ends. 0 = always.
    """

    def __init__(self, node, clock_and_odometry: bool, display_period_s: float = 0.0):
        self.node = node
        self.display_period_s = float(display_period_s)
        # Producers publish reliably (REP-2003); consumers pick their QoS.
        self.sim_step_pub = node.create_publisher(SimStep, names.SIM_STEP_TOPIC, ros.LOCKSTEP_QOS)
        self.camera_pub = node.create_publisher(Image, names.CAMERA_TOPIC, 5)
        self.camera_info_pub = node.create_publisher(CameraInfo, names.CAMERA_INFO_TOPIC, 5)
        self.stereo_pubs = (node.create_publisher(Image, names.STEREO_LEFT_TOPIC, 5),
                            node.create_publisher(Image, names.STEREO_RIGHT_TOPIC, 5))
        self.scan_pub = node.create_publisher(LaserScan, names.SCAN_TOPIC, 5)
        self.status_pub = node.create_publisher(EpisodeStatus, names.EPISODE_STATUS_TOPIC, 10)
        self.params_pub = node.create_publisher(RewardParams, names.REWARD_PARAMS_TOPIC, 10)
        self.track_pub = node.create_publisher(TrackInfo, names.TRACK_TOPIC, ros.LATCHED_QOS)
        # Two writers on one topic: a late RViz gets both the last track set and the last car/objects set.
        self.track_markers_pub = node.create_publisher(MarkerArray, names.MARKERS_TOPIC, ros.LATCHED_QOS)
        self.object_markers_pub = node.create_publisher(MarkerArray, names.MARKERS_TOPIC, ros.LATCHED_QOS)
        self.clock_pub = self.odom_pub = None
        if clock_and_odometry:
            self.clock_pub = node.create_publisher(ClockMsg, "/clock", 10)
            self.odom_pub = node.create_publisher(Odometry, names.ODOM_TOPIC, 10)
        self.tf_pub = self.tf_static_pub = None
        try:
            self.tf_type = ros.import_interface("tf2_msgs/msg/TFMessage")
        except ros.InterfaceTypeError:
            if clock_and_odometry:
                missing = "/tf and /tf_static are not published (install ros-<distro>-tf2-msgs; /odom still " \
                          "carries the pose)"
            else:
                missing = "/tf_static (camera and laser frames) is not published (install ros-<distro>-tf2-msgs)"
            node.get_logger().warning(f"tf2_msgs is not installed: {missing}")
        else:
            if clock_and_odometry:
                self.tf_pub = node.create_publisher(self.tf_type, "/tf", 100)
            self.tf_static_pub = node.create_publisher(self.tf_type, "/tf_static", ros.LATCHED_QOS)
        self.track_markers: MarkerArray | None = None
        self.last_step: SimStep | None = None
        self._last_display = -1e9

    # ------------------------------------------------------------------ per track
    def publish_track(self, track, sim_time: float, stereo: bool) -> None:
        stamp = views.stamp_of(sim_time)
        self.track_pub.publish(messages.track_to_msg(track))
        markers = views.track_markers(track, stamp)  # starts with a DELETEALL of the old track's markers
        self.track_markers_pub.publish(MarkerArray(markers=markers))
        # Repeats leave out the DELETEALL, which would also blank the car and objects until their next update.
        self.track_markers = MarkerArray(markers=markers[1:])
        if self.tf_static_pub is not None:
            self.tf_static_pub.publish(self.tf_type(transforms=views.static_transforms(stamp, stereo)))

    def republish_track_markers(self) -> None:
        """The track markers again, for a viewer that keeps only one sample of the topic."""
        if self.track_markers is not None:
            self.track_markers_pub.publish(self.track_markers)

    # ------------------------------------------------------------------ per step
    def publish(self, step_id: int, report: StepReport) -> SimStep:
        """Publish step `step_id`; returns its SimStep (to resend)."""
        stamp = views.stamp_of(report.sim_time)
        frame_ids = STEREO_FRAMES if len(report.frames) == 2 else MONO_FRAMES
        images = [messages.mono8_image(frame, stamp, frame_id) for frame, frame_id in zip(report.frames, frame_ids)]
        step = SimStep()
        step.header.stamp = stamp
        step.header.frame_id = names.BASE_FRAME
        step.step = step_id
        step.images = images
        if report.ranges is not None:
            step.lidar = array.array("f", np.asarray(report.ranges, dtype=np.float32).tobytes())
        if report.params is not None:
            messages.params_to_msg(report.params, step.params)
            step.params.header.stamp = stamp
        messages.status_to_msg(report.status, step.status)
        step.status.header.stamp = stamp
        if self.clock_pub is not None:
            self.clock_pub.publish(ClockMsg(clock=stamp))
        self.sim_step_pub.publish(step)
        self.last_step = step

        display_due = time.monotonic() - self._last_display >= self.display_period_s
        if report.done or display_due:
            self.status_pub.publish(step.status)
        if display_due:
            self._last_display = time.monotonic()
            self._publish_display(report, step, stamp, frame_ids[0])
        return step

    def resend(self) -> None:
        """The last SimStep again (lock-step: its answer did not come)."""
        if self.last_step is not None:
            self.sim_step_pub.publish(self.last_step)

    def _publish_display(self, report: StepReport, step: SimStep, stamp, camera_frame: str) -> None:
        if report.params is not None:
            self.params_pub.publish(step.params)
        images = step.images
        self.camera_pub.publish(images[0])
        self.camera_info_pub.publish(views.camera_info(stamp, camera_frame))
        if len(images) == 2:
            for publisher, image in zip(self.stereo_pubs, images):
                publisher.publish(image)
        if report.ranges is not None:
            self.scan_pub.publish(views.laser_scan(report.ranges, stamp))
        if report.car_state is not None and self.odom_pub is not None:
            state = report.car_state
            self.odom_pub.publish(views.odometry(state, stamp))
            if self.tf_pub is not None:
                self.tf_pub.publish(self.tf_type(transforms=[views.odom_transform(state[0], state[1], state[2], stamp)]))
        if report.car_pose is not None:
            self.object_markers_pub.publish(MarkerArray(markers=views.dynamic_markers(
                report.car_pose, CAR_SIZE, report.objects, stamp)))
