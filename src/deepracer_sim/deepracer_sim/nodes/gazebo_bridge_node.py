"""gazebo_bridge_node: makes Gazebo (gz-sim) look like sim_node to agent_node and control_node.

Gazebo simulates the car and renders its sensors; ros_gz_bridge (config/gz_bridge.yaml)
brings the raw data to /gazebo/... and /odom. This node
- turns each 640x480 RGB camera frame into the 160x120 mono8 image sim_node publishes
  (/camera/image_raw, /stereo/{left,right}/image_raw, /camera/camera_info) and re-stamps the
  LIDAR scan into the "laser" frame (/scan);
- runs deepracer_sim's own episode code on the car pose Gazebo reports (gazebo/bridge_core.py)
  and publishes /deepracer/reward_params, /deepracer/episode_status and /deepracer/sim_step
  once per camera frame, /deepracer/track and the RViz markers;
- turns /ctrl_pkg/servo_msg into the steering angle (both hinges) and wheel velocity (all four
  wheels) Gazebo's joint controllers follow, and holds the car during the prepare step, pauses
  and teleports;
- starts every episode by moving the car with the world's set_pose service
  (ros_gz_interfaces/srv/SetEntityPose, bridged by the launch file).

Gazebo runs in real time, so this is sim_node's realtime mode: steps follow the camera (15 Hz of
Gazebo time); lock-step training needs the embedded simulator. Time is Gazebo's /clock.
"""
from __future__ import annotations

import array
import json
import os
import time

import numpy as np
from nav_msgs.msg import Odometry
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, Image, LaserScan
from std_msgs.msg import Float64, String
from std_srvs.srv import SetBool
from visualization_msgs.msg import MarkerArray

from deepracer_common import model_files
from deepracer_common.action_space import ActionSpaceError
from deepracer_common.model_metadata import ModelMetadata, ModelMetadataError
from deepracer_common.race import DEFAULT_TRACK, workshop_action_space
from deepracer_common.ros import messages, names, views
from deepracer_common.ros import node_support as ros
from deepracer_interfaces.msg import AgentAction, EpisodeStatus, RewardParams, SimStep, TrackInfo
from deepracer_interfaces.srv import ResetEpisode, SetTrack
from deepracer_sim.car.parameters import CAR_SIZE
from deepracer_sim.gazebo import bridge_core as core
from deepracer_sim.gazebo import topics
from deepracer_sim.gazebo.track_source import sdf_name
from deepracer_sim.race.simulation import EpisodeSettings
from deepracer_sim.tracks import load_track

PARAMETERS = {
    "track": (DEFAULT_TRACK, "Shipped track name or route .npy path; must be the track of the running world"),
    "reverse": (False, "Drive against the route's point order"),
    "alternate_direction": (False, "Toggle the direction after every training episode"),
    "world": ("", "Name of the gz world (its set_pose service); empty = the track's world name"),
    "entity": (topics.CAR_ENTITY, "Name of the spawned car model in Gazebo"),
    "stereo": (False, "The spawned car has the stereo camera pair (deepracer_stereo*)"),
    "lidar": (False, "The spawned car has the LIDAR (deepracer_*_lidar)"),
    "model_path": ("", "Model folder whose model_metadata.json gives the action space; empty = the model "
                       "agent_node announces, else the workshop action space"),
    "evaluation": (False, "Evaluation rules: no round robin; resets after failures up to number_of_resets"),
    "number_of_resets": (0, "Failures an episode survives (put back on the track after a penalty)"),
    "off_track_penalty": (2.0, "Seconds held after going off track (evaluation with resets)"),
    "collision_penalty": (5.0, "Seconds held after a crash (evaluation with resets)"),
    "round_robin_advance": (0.05, "Start point advance after each training episode, share of the track"),
    "servo_max_steering_angle": (0.0, "Steering at servo angle ±1, degrees; 0 = the model's largest steering angle"),
    "servo_max_speed": (0.0, "Speed at servo throttle 1, m/s; 0 = the model's top speed"),
    "teleport_retry_s": (2.0, "Ask Gazebo again to move the car when it has not arrived after this long (wall s)"),
    "set_pose_type": ("ros_gz_interfaces/srv/SetEntityPose", "Service type of the world's set_pose service"),
}
LOG_THROTTLE_S = 2.0
# Gazebo's raw frames are ~0.9 MB: best effort over DDS loses whole frames when one fragment is
# lost, so take them reliably (ros_gz_bridge publishes reliably) and keep only the newest.
RAW_IMAGE_QOS = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=2, reliability=ReliabilityPolicy.RELIABLE)


class GazeboBridgeNode(Node):
    def __init__(self, **kwargs):
        super().__init__("gazebo_bridge_node", **kwargs)
        ros.declare_parameters(self, PARAMETERS)
        p = {name: self.get_parameter(name).value for name in PARAMETERS}
        self.p = p
        self.track = load_track(p["track"], reverse=p["reverse"])
        self.world = p["world"] or sdf_name(self.track.name)
        self.stereo, self.lidar = bool(p["stereo"]), bool(p["lidar"])
        self.settings = EpisodeSettings(
            reverse=p["reverse"], alternate_direction=p["alternate_direction"], evaluation=p["evaluation"],
            number_of_resets=p["number_of_resets"], off_track_penalty=p["off_track_penalty"],
            collision_penalty=p["collision_penalty"], round_robin_advance=p["round_robin_advance"],
            reward_time_limit_s=None,
        )
        self.episode = core.GazeboEpisode(self.track, self.settings)
        self.commands = core.CommandSource(workshop_action_space())
        self.action_source = "workshop action space"
        if p["model_path"]:
            self._use_metadata_file(p["model_path"])

        self.sim_step_pub = self.create_publisher(SimStep, names.SIM_STEP_TOPIC, ros.LOCKSTEP_QOS)
        self.camera_pub = self.create_publisher(Image, names.CAMERA_TOPIC, 5)
        self.camera_info_pub = self.create_publisher(CameraInfo, names.CAMERA_INFO_TOPIC, 5)
        self.stereo_pubs = (self.create_publisher(Image, names.STEREO_LEFT_TOPIC, 5),
                            self.create_publisher(Image, names.STEREO_RIGHT_TOPIC, 5))
        self.scan_pub = self.create_publisher(LaserScan, names.SCAN_TOPIC, 5)
        self.status_pub = self.create_publisher(EpisodeStatus, names.EPISODE_STATUS_TOPIC, 10)
        self.params_pub = self.create_publisher(RewardParams, names.REWARD_PARAMS_TOPIC, 10)
        self.track_pub = self.create_publisher(TrackInfo, names.TRACK_TOPIC, ros.LATCHED_QOS)
        self.track_markers_pub = self.create_publisher(MarkerArray, names.MARKERS_TOPIC, ros.LATCHED_QOS)
        self.object_markers_pub = self.create_publisher(MarkerArray, names.MARKERS_TOPIC, ros.LATCHED_QOS)
        self.steering_pub = self.create_publisher(Float64, topics.ROS_GZ_STEERING, 10)
        self.wheel_pub = self.create_publisher(Float64, topics.ROS_GZ_WHEEL_VELOCITY, 10)
        self.tf_static_pub = None
        try:
            self.tf_type = ros.import_interface("tf2_msgs/msg/TFMessage")
            self.tf_static_pub = self.create_publisher(self.tf_type, "/tf_static", ros.LATCHED_QOS)
        except ros.InterfaceTypeError:
            self.get_logger().warning("tf2_msgs is not installed: /tf_static (camera and laser frames) is not published")

        camera_topic = topics.ROS_GZ_STEREO[0] if self.stereo else topics.ROS_GZ_CAMERA
        self.create_subscription(Image, camera_topic, self._on_camera, RAW_IMAGE_QOS)
        self.right_image: Image | None = None
        if self.stereo:
            self.create_subscription(Image, topics.ROS_GZ_STEREO[1], self._on_right_camera, RAW_IMAGE_QOS)
        self.ranges: np.ndarray | None = None
        if self.lidar:
            self.create_subscription(LaserScan, topics.ROS_GZ_SCAN, self._on_scan, ros.SENSOR_QOS)
        self.pose: tuple[float, float, float] | None = None
        self.create_subscription(Odometry, topics.ROS_ODOM, self._on_odometry, ros.SENSOR_QOS)
        self.create_subscription(ros.import_interface(names.SERVO_TYPE), names.SERVO_TOPIC, self._on_servo, ros.SERVO_QOS)
        self.create_subscription(AgentAction, names.ACTION_TOPIC, self._on_action, ros.LOCKSTEP_QOS)
        self.create_subscription(String, names.MODEL_METADATA_TOPIC, self._on_model_metadata, ros.LATCHED_QOS)
        self.create_service(ResetEpisode, names.RESET_EPISODE_SERVICE, self._on_reset_episode)
        self.create_service(SetTrack, names.SET_TRACK_SERVICE, self._on_set_track)
        self.create_service(SetBool, names.PAUSE_SERVICE, self._on_pause)

        self.set_pose = None
        service = topics.gz_set_pose_service(self.world)
        try:
            self.set_pose_type = ros.import_interface(p["set_pose_type"])
            self.set_pose = self.create_client(self.set_pose_type, service)
        except ros.InterfaceTypeError as error:
            self.get_logger().error(f"cannot move the car between episodes: {error} (install ros-jazzy-ros-gz)")
        self.teleport_sent_at: float | None = None
        self.paused = False
        self.step_id = 0
        self.now = 0.0
        self.create_timer(0.25, self._retry_teleport)

        self._publish_track()
        self._start_episode(None)
        self.get_logger().info(
            f"track {self.track.name} in world '{self.world}', camera {'stereo' if self.stereo else 'front'}"
            f"{' + LIDAR' if self.lidar else ''}, actions from {self.action_source}; waiting for Gazebo frames")

    # ------------------------------------------------------------------ set-up
    def _use_metadata_file(self, model_path: str) -> None:
        try:
            metadata = model_files.load_metadata(model_path)
        except (ModelMetadataError, OSError) as error:
            self.get_logger().error(f"model_path: {error}; using the workshop action space")
            return
        self._use_metadata(metadata, str(model_path))

    def _use_metadata(self, metadata: ModelMetadata, source: str) -> None:
        self.commands = core.CommandSource(metadata.action_space, self.p["servo_max_steering_angle"],
                                           self.p["servo_max_speed"])
        self.action_source = source
        sensors = set(metadata.sensor)
        wants_stereo = "STEREO_CAMERAS" in sensors
        wants_lidar = metadata.lidar_sensor is not None
        if wants_stereo != self.stereo or (wants_lidar and not self.lidar):
            self.get_logger().error(
                f"the model uses {sorted(sensors)} but the spawned car has "
                f"{'stereo' if self.stereo else 'a front'} camera{' and LIDAR' if self.lidar else ''}; relaunch "
                f"with car:=<the matching variant> (see docs/gazebo.md)")

    def _publish_track(self) -> None:
        track = self.episode.track
        stamp = views.stamp_of(self.now)
        self.track_pub.publish(messages.track_to_msg(track))
        self.track_markers_pub.publish(MarkerArray(markers=views.track_markers(track, stamp)))
        if self.tf_static_pub is not None:
            self.tf_static_pub.publish(self.tf_type(transforms=views.static_transforms(stamp, self.stereo)))

    # ------------------------------------------------------------------ inputs
    def _on_odometry(self, msg: Odometry) -> None:
        q = msg.pose.pose.orientation
        self.pose = (msg.pose.pose.position.x, msg.pose.pose.position.y,
                     core.yaw_from_quaternion(q.x, q.y, q.z, q.w))

    def _on_scan(self, msg: LaserScan) -> None:
        ranges = np.asarray(msg.ranges, dtype=np.float64)
        if ranges.size != core.sensor.LIDAR_NUM_RAYS:
            self.get_logger().error(f"Gazebo scan has {ranges.size} rays, the car's LIDAR has "
                                    f"{core.sensor.LIDAR_NUM_RAYS}; is the world's car model current?",
                                    throttle_duration_sec=LOG_THROTTLE_S)
            return
        # Gazebo reports misses beyond range_max as +inf already; anything else out of range is no hit too.
        ranges[~np.isfinite(ranges) | (ranges > core.sensor.LIDAR_RANGE_MAX)] = np.inf
        self.ranges = ranges

    def _on_right_camera(self, msg: Image) -> None:
        self.right_image = msg

    def _on_servo(self, msg) -> None:
        bad = self.commands.set_servo(float(msg.angle), float(msg.throttle))
        if bad:
            self.get_logger().error(f"servo message ignored for {', '.join(bad)}: outside [-1, 1]",
                                    throttle_duration_sec=LOG_THROTTLE_S)
        command = self.episode.on_servo(*self.commands.servo_command())
        self._send(core.ActuatorCommand.stop() if self.paused else command)

    def _on_action(self, msg: AgentAction) -> None:
        self.commands.set_action(msg.action_index, msg.probabilities)

    def _on_model_metadata(self, msg: String) -> None:
        if self.p["model_path"]:
            return
        try:
            metadata = ModelMetadata.from_dict(json.loads(msg.data), source="model metadata from agent_node")
        except (json.JSONDecodeError, ModelMetadataError) as error:
            self.get_logger().error(f"ignoring model metadata message: {error}")
            return
        self._use_metadata(metadata, "agent_node")

    # ------------------------------------------------------------------ services
    def _on_reset_episode(self, request, response):
        start = request.start_ndist
        if start >= 0.0 and not start < 1.0:
            response.success, response.message = False, f"start_ndist must be in [0, 1) or negative, got {start}"
            return response
        self._start_episode(None if start < 0.0 else float(start))
        response.success = True
        response.message = f"episode {self.episode.sim.episode} started; the car is moved to its start"
        if hasattr(response, "step"):
            response.step = self.step_id + 1
        return response

    def _on_set_track(self, request, response):
        response.success = False
        response.message = ("Gazebo loads one world per launch: relaunch gazebo.launch.py with "
                            f"track:={request.track or '<name>'} to change tracks")
        return response

    def _on_pause(self, request, response):
        self.paused = bool(request.data)
        if self.paused:
            self._send(core.ActuatorCommand.stop())
        response.success = True
        response.message = "paused" if self.paused else "running"
        return response

    # ------------------------------------------------------------------ episodes
    def _start_episode(self, start_ndist: float | None) -> None:
        self.episode.reset(self.now, start_ndist)
        self._send(core.ActuatorCommand.stop())
        self.teleport_sent_at = None
        self._retry_teleport()

    def _retry_teleport(self) -> None:
        target = self.episode.pending_teleport()
        if target is None or self.set_pose is None:
            return
        now = time.monotonic()
        if self.teleport_sent_at is not None and now - self.teleport_sent_at < self.p["teleport_retry_s"]:
            return
        if not self.set_pose.service_is_ready():
            self.get_logger().warning(f"waiting for Gazebo's {self.set_pose.srv_name} service (bridged by the "
                                      "launch file) to move the car", throttle_duration_sec=10.0)
            return
        request = self.set_pose_type.Request()
        request.entity.name = self.p["entity"]
        request.entity.type = getattr(type(request.entity), "MODEL", 2)
        x, y, yaw = target
        request.pose.position.x, request.pose.position.y, request.pose.position.z = x, y, core.TELEPORT_Z
        qx, qy, qz, qw = core.quaternion_from_yaw(yaw)
        o = request.pose.orientation
        o.x, o.y, o.z, o.w = qx, qy, qz, qw
        self.set_pose.call_async(request)
        self.teleport_sent_at = now

    def _on_camera(self, msg: Image) -> None:
        self.now = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        if self.pose is None:
            self.get_logger().warning("camera frames arrive but no odometry yet (is /odom bridged?)",
                                      throttle_duration_sec=10.0)
            return
        try:
            frames = [self._observation(msg)]
            if self.stereo:
                if self.right_image is None:
                    return
                frames.append(self._observation(self.right_image))
        except ValueError as error:
            self.get_logger().error(str(error), throttle_duration_sec=LOG_THROTTLE_S)
            return
        if self.paused:
            self._send(core.ActuatorCommand.stop())
            return
        had_teleport = self.episode.pending_teleport()
        result = self.episode.on_frame(self.pose, self.now, self._step_command)
        stamp = views.stamp_of(self.now)
        if result.reset_info is not None:
            info = result.reset_info
            self._publish_step(frames, stamp, None, core.reset_status_fields(info))
        elif result.outcome is not None:
            status = core.status_fields(result.outcome)
            self._publish_step(frames, stamp, result.outcome.params, status)
            if status["done"]:
                self._start_episode(None)
                return
        if self.episode.pending_teleport() is not None and had_teleport is None:
            self.teleport_sent_at = None
            self._retry_teleport()
        self._send(result.command)

    def _step_command(self) -> tuple[float, float, int]:
        try:
            return self.commands.step_command()
        except ActionSpaceError as error:
            self.get_logger().error(f"action does not fit the action space ({error}); reporting the servo's command",
                                    throttle_duration_sec=LOG_THROTTLE_S)
            steering, speed = self.commands.servo_command()
            return steering, speed, -1

    def _observation(self, msg: Image) -> np.ndarray:
        rgb = core.rgb_frame_from_buffer(bytes(msg.data), msg.width, msg.height, msg.step, msg.encoding)
        return core.observation_frame(rgb)

    # ------------------------------------------------------------------ outputs
    def _send(self, command: core.ActuatorCommand) -> None:
        self.steering_pub.publish(Float64(data=float(command.steering_rad)))
        self.wheel_pub.publish(Float64(data=float(command.wheel_velocity)))

    def _publish_step(self, frames: list[np.ndarray], stamp, params: dict | None, status: dict) -> None:
        self.step_id += 1
        frame_ids = (names.LEFT_CAMERA_OPTICAL_FRAME, names.RIGHT_CAMERA_OPTICAL_FRAME) if self.stereo \
            else (names.CAMERA_OPTICAL_FRAME,)
        images = [messages.mono8_image(frame, stamp, frame_id) for frame, frame_id in zip(frames, frame_ids)]
        step = SimStep()
        step.header.stamp = stamp
        step.header.frame_id = names.BASE_FRAME
        step.step = self.step_id
        step.images = images
        if self.lidar and self.ranges is not None:
            step.lidar = array.array("f", self.ranges.astype(np.float32).tobytes())
        if params is not None:
            messages.params_to_msg(params, step.params)
            step.params.header.stamp = stamp
        messages.status_to_msg(status, step.status)
        step.status.header.stamp = stamp
        self.sim_step_pub.publish(step)
        self.status_pub.publish(step.status)
        if params is not None:
            self.params_pub.publish(step.params)
        self.camera_pub.publish(images[0])
        self.camera_info_pub.publish(views.camera_info(stamp, frame_ids[0]))
        if self.stereo:
            for publisher, image in zip(self.stereo_pubs, images):
                publisher.publish(image)
        if self.lidar and self.ranges is not None:
            self.scan_pub.publish(views.laser_scan(self.ranges, stamp))
        if self.pose is not None:
            self.object_markers_pub.publish(MarkerArray(markers=views.dynamic_markers(
                self.pose, CAR_SIZE, np.zeros((0, 7)), stamp)))


def main(args: list[str] | None = None) -> int:
    # rclpy's EventsExecutor (ros_common's default) delivered no messages from other processes in
    # our tests with rclpy 9.1; the Gazebo frames must arrive, so take the standard executor.
    os.environ.setdefault("DEEPRACER_ROS_EXECUTOR", "single")
    return ros.spin_node(GazeboBridgeNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
