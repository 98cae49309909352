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

import os
import time

from nav_msgs.msg import Odometry
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image, LaserScan
from std_msgs.msg import Float64, String
from std_srvs.srv import SetBool

from deepracer_common.model_metadata import ModelMetadata
from deepracer_common.race import DEFAULT_TRACK, workshop_action_space
from deepracer_common.ros import names
from deepracer_common.ros import node_support as ros
from deepracer_interfaces.msg import AgentAction
from deepracer_interfaces.srv import ResetEpisode, SetTrack
from deepracer_sim.gazebo import bridge_core as core
from deepracer_sim.gazebo import topics
from deepracer_sim.gazebo.track_source import sdf_name
from deepracer_sim.nodes import front_end
from deepracer_sim.nodes.step_publisher import StepPublisher
from deepracer_sim.race.simulation import EpisodeSettings
from deepracer_sim.stepping.commands import CommandSource
from deepracer_sim.stepping.report import StepReport, reset_status_fields, status_fields
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
TELEPORT_CHECK_PERIOD_S = 0.25


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
        self.commands = CommandSource(workshop_action_space(), p["servo_max_steering_angle"], p["servo_max_speed"])
        self.action_source = "workshop action space"
        if p["model_path"]:
            loaded = front_end.load_model_metadata(self, p["model_path"], "the workshop action space")
            if loaded is not None:
                self._use_metadata(*loaded)

        self.publisher = StepPublisher(self, clock_and_odometry=False)
        self.steering_pub = self.create_publisher(Float64, topics.ROS_GZ_STEERING, 10)
        self.wheel_pub = self.create_publisher(Float64, topics.ROS_GZ_WHEEL_VELOCITY, 10)

        camera_topic = topics.ROS_GZ_STEREO[0] if self.stereo else topics.ROS_GZ_CAMERA
        self.create_subscription(Image, camera_topic, self._on_camera, RAW_IMAGE_QOS)
        self.right_image: Image | None = None
        if self.stereo:
            self.create_subscription(Image, topics.ROS_GZ_STEREO[1], self._on_right_camera, RAW_IMAGE_QOS)
        self.ranges = None
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
        self.create_timer(TELEPORT_CHECK_PERIOD_S, self._retry_teleport)

        self.publisher.publish_track(self.episode.track, self.now, self.stereo)
        self._start_episode(None)
        self.get_logger().info(
            f"track {self.track.name} in world '{self.world}', camera {'stereo' if self.stereo else 'front'}"
            f"{' + LIDAR' if self.lidar else ''}, actions from {self.action_source}; waiting for Gazebo frames")

    # ------------------------------------------------------------------ set-up
    def _use_metadata(self, metadata: ModelMetadata, source: str) -> None:
        self.commands.use_action_space(metadata.action_space)
        self.action_source = source
        sensors = set(metadata.sensor)
        wants_stereo = "STEREO_CAMERAS" in sensors
        wants_lidar = metadata.lidar_sensor is not None
        if wants_stereo != self.stereo or (wants_lidar and not self.lidar):
            self.get_logger().error(
                f"the model uses {sorted(sensors)} but the spawned car has "
                f"{'stereo' if self.stereo else 'a front'} camera{' and LIDAR' if self.lidar else ''}; relaunch "
                f"with car:=<the matching variant> (see docs/gazebo.md)")

    # ------------------------------------------------------------------ inputs
    def _on_odometry(self, msg: Odometry) -> None:
        q = msg.pose.pose.orientation
        self.pose = (msg.pose.pose.position.x, msg.pose.pose.position.y,
                     core.yaw_from_quaternion(q.x, q.y, q.z, q.w))

    def _on_scan(self, msg: LaserScan) -> None:
        try:
            self.ranges = core.scan_ranges(msg.ranges)
        except ValueError as error:
            self.get_logger().error(str(error), throttle_duration_sec=LOG_THROTTLE_S)

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
        metadata = front_end.announced_metadata(self, msg.data)
        if metadata is not None:
            self._use_metadata(metadata, "agent_node")

    # ------------------------------------------------------------------ services
    def _on_reset_episode(self, request, response):
        return front_end.answer_reset(request, response, self._start_requested_episode)

    def _start_requested_episode(self, start_ndist: float | None) -> tuple[str, int]:
        self._start_episode(start_ndist)
        # The episode's first SimStep goes out when Gazebo shows the car at its start.
        return f"episode {self.episode.sim.episode} started; the car is moved to its start", self.step_id + 1

    def _on_set_track(self, request, response):
        response.success = False
        response.message = ("Gazebo loads one world per launch: relaunch gazebo.launch.py with "
                            f"track:={request.track or '<name>'} to change tracks")
        return response

    def _on_pause(self, request, response):
        return front_end.answer_pause(request, response, self._set_paused)

    def _set_paused(self, paused: bool) -> None:
        self.paused = paused
        if paused:
            self._send(core.ActuatorCommand.stop())

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
        if result.reset_info is not None:
            self._publish(frames, None, reset_status_fields(result.reset_info))
        elif result.outcome is not None:
            outcome = result.outcome
            status = status_fields(outcome.info, outcome.terminated or outcome.truncated)
            self._publish(frames, outcome.params, status)
            if status["done"]:
                self._start_episode(None)
                return
        if self.episode.pending_teleport() is not None and had_teleport is None:
            self.teleport_sent_at = None
            self._retry_teleport()
        self._send(result.command)

    def _step_command(self) -> tuple[float, float, int]:
        command = self.commands.take_step_command()
        if command.error:
            self.get_logger().error(command.error, throttle_duration_sec=LOG_THROTTLE_S)
        return command.reported

    def _observation(self, msg: Image):
        rgb = core.rgb_frame_from_buffer(bytes(msg.data), msg.width, msg.height, msg.step, msg.encoding)
        return core.observation_frame(rgb)

    # ------------------------------------------------------------------ outputs
    def _send(self, command: core.ActuatorCommand) -> None:
        self.steering_pub.publish(Float64(data=float(command.steering_rad)))
        self.wheel_pub.publish(Float64(data=float(command.wheel_velocity)))

    def _publish(self, frames: list, params: dict | None, status: dict) -> None:
        self.step_id += 1
        self.publisher.publish(self.step_id, StepReport(
            sim_time=self.now, frames=frames, ranges=self.ranges if self.lidar else None, params=params,
            status=status, car_pose=self.pose))


def main(args: list[str] | None = None) -> int:
    # rclpy's EventsExecutor (ros_common's default) delivered no messages from other processes in
    # our tests with rclpy 9.1; the Gazebo frames must arrive, so take the standard executor.
    os.environ.setdefault("DEEPRACER_ROS_EXECUTOR", "single")
    return ros.spin_node(GazeboBridgeNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
