"""sim_node: the embedded DeepRacer simulator as a ROS 2 node, driven by the car's servo topic.

It wraps deepracer_sim's environment (DeepRacerEnv's validated configuration, its RaceSimulation
and sensor suite) and adds nothing to the simulation itself. The car is driven as the physical
servo would drive it: /ctrl_pkg/servo_msg (angle, throttle in [-1, 1]) is turned back into a
steering angle and a speed (deepracer_common.servo.servo_to_command; throttle <= 0 brakes to
a stop). The reward params keep the *action's* commanded steering and speed when an AgentAction
is known for the step, as the simulator's params do, so the servo's float32 round trip never
reaches a reward.

Modes:
- realtime: one step every 1/rate_hz s of wall clock (15 Hz) with the latest servo command.
- lockstep: one step per action. sim_node publishes SimStep k and waits; it steps when it has
  both the AgentAction answering step k and control_node's servo message for it. The two come
  from different nodes, so the servo message may arrive first: one with throttle > 0 that came
  after SimStep k is kept as a candidate and used when the action arrives, if its angle is what
  the car's navigation mapping gives for that action. A zero-throttle message with no action
  pending (a watchdog, a stop) never becomes a step. If nothing answers within
  lockstep_resend_s, SimStep k is sent again (agent_node answers a repeat with the action it
  already chose, and control_node maps it again).

/clock carries the simulation time; every other node runs on it (use_sim_time), so in lock-step
time stands still while the simulator waits, and so do their timers (control_node's watchdog).
"""
from __future__ import annotations

import array
import json
import time

import numpy as np
from nav_msgs.msg import Odometry
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from rosgraph_msgs.msg import Clock as ClockMsg
from sensor_msgs.msg import CameraInfo, Image, LaserScan
from std_msgs.msg import String
from std_srvs.srv import SetBool
from visualization_msgs.msg import MarkerArray

from deepracer_common import model_files
from deepracer_common.action_space import ActionSpaceError
from deepracer_common.model_metadata import ModelMetadata, ModelMetadataError
from deepracer_common.race import DEFAULT_TRACK
from deepracer_common.ros import messages, names, views
from deepracer_common.ros import node_support as ros
from deepracer_common.servo import servo_to_command
from deepracer_interfaces.msg import AgentAction, EpisodeStatus, RewardParams, SimStep, TrackInfo
from deepracer_interfaces.srv import ResetEpisode, SetTrack
from deepracer_sim.car.dynamics import Car, advance, clip_command
from deepracer_sim.car.parameters import CAR_SIZE
from deepracer_sim.env import DeepRacerEnv
from deepracer_sim.sensors.suite import lidar_period

PARAMETERS = {
    "mode": ("realtime", "realtime: a step every 1/rate_hz s of wall clock with the latest servo command; "
                         "lockstep: one step per action (training, evaluation)"),
    "rate_hz": (15.0, "Step rate in realtime mode (the simulator's camera rate)"),
    "track": (DEFAULT_TRACK, "Shipped track name or path to a route .npy"),
    "reverse": (False, "Drive against the route's point order"),
    "alternate_direction": (False, "Toggle the direction after every training episode"),
    "model_path": ("", "Model folder whose model_metadata.json gives the car's sensors and action space; empty = "
                       "the model agent_node announces, else `sensors` with the workshop action space"),
    "sensors": (["FRONT_FACING_CAMERA"], "Sensors when no model is known (model_metadata names)"),
    "wait_for_model": (False, "Lockstep: start the first episode only once a model is known"),
    "race_type": ("TIME_TRIAL", "TIME_TRIAL, OBJECT_AVOIDANCE or HEAD_TO_BOT"),
    "number_of_obstacles": (-1, "Boxes on the track; -1 = the race type's default"),
    "number_of_bot_cars": (-1, "Bot cars; -1 = the race type's default"),
    "bot_car_speed": (0.2, "Bot car speed, m/s"),
    "randomize_obstacles": (False, "Re-place obstacles at random every episode"),
    "evaluation": (False, "Evaluation rules: no round robin; resets after failures up to number_of_resets"),
    "number_of_resets": (0, "Failures an episode survives (put back on the track after a penalty)"),
    "off_track_penalty": (2.0, "Seconds held after going off track (evaluation with resets)"),
    "collision_penalty": (5.0, "Seconds held after a crash (evaluation with resets)"),
    "round_robin_advance": (0.05, "Start point advance after each training episode, share of the track"),
    "walls": (False, "Draw and scan walls along the borders"),
    "seed": (0, "Seed of object placement"),
    "servo_max_steering_angle": (0.0, "Steering at servo angle ±1, degrees; 0 = the model's largest steering "
                                      "angle (the car's navigation node maps that to full lock)"),
    "servo_max_speed": (0.0, "Speed at servo throttle 1, m/s; 0 = the model's top speed"),
    "lockstep_resend_s": (1.0, "Lockstep: send the waiting SimStep again after this many wall seconds"),
    "display_rate_hz": (15.0, "Lockstep: camera, scan, odometry, TF, markers and params at most this often "
                              "(wall clock); SimStep and /clock go out every step"),
}

SERVO_LOG_THROTTLE_S = 2.0
TRACK_MARKER_PERIOD_S = 5.0


class ServoDrivenCar(Car):
    """The simulator's car, with its wheels obeying the servo command instead of the action.

    RaceSimulation computes the params from the command it is given and then calls car.drive();
    sim_node gives it the action's command and sets `servo` to what the servo message asks of the
    motor and steering. Throttle 0 on the real car's ESC means no drive: the car brakes to rest
    (the simulator's own actions never go below 0.1 m/s).
    """

    def __init__(self, car: Car):
        super().__init__(car.parameters)
        self.state = car.state
        self.servo: tuple[float, float] | None = None  # (steering deg, speed m/s), speed 0 = stop

    def drive(self, steering_deg: float, speed: float, duration: float) -> None:
        if self.servo is None:
            return super().drive(steering_deg, speed, duration)
        steering_deg, speed = self.servo
        if speed <= 0.0:
            steer, _ = clip_command(steering_deg, 0.0)
            advance(self.state, steer, 0.0, float(duration), self._p)
        else:
            super().drive(steering_deg, speed, duration)


class SimNode(Node):
    def __init__(self, **kwargs):
        super().__init__("sim_node", **kwargs)
        ros.declare_parameters(self, PARAMETERS)
        p = {name: self.get_parameter(name).value for name in PARAMETERS}
        if p["mode"] not in ("realtime", "lockstep"):
            raise ValueError(f"sim_node: mode must be 'realtime' or 'lockstep', got {p['mode']!r}")
        if not p["rate_hz"] > 0 or not p["display_rate_hz"] > 0 or not p["lockstep_resend_s"] > 0:
            raise ValueError("sim_node: rate_hz, display_rate_hz and lockstep_resend_s must be positive")
        self.p = p
        self.lockstep = p["mode"] == "lockstep"
        self.steady = Clock(clock_type=ClockType.STEADY_TIME)

        # Publishers: producers publish reliably (REP-2003); consumers pick their QoS.
        self.sim_step_pub = self.create_publisher(SimStep, names.SIM_STEP_TOPIC, ros.LOCKSTEP_QOS)
        self.clock_pub = self.create_publisher(ClockMsg, "/clock", 10)
        self.camera_pub = self.create_publisher(Image, names.CAMERA_TOPIC, 5)
        self.camera_info_pub = self.create_publisher(CameraInfo, names.CAMERA_INFO_TOPIC, 5)
        self.stereo_pubs = (self.create_publisher(Image, names.STEREO_LEFT_TOPIC, 5),
                            self.create_publisher(Image, names.STEREO_RIGHT_TOPIC, 5))
        self.scan_pub = self.create_publisher(LaserScan, names.SCAN_TOPIC, 5)
        self.odom_pub = self.create_publisher(Odometry, names.ODOM_TOPIC, 10)
        self.status_pub = self.create_publisher(EpisodeStatus, names.EPISODE_STATUS_TOPIC, 10)
        self.params_pub = self.create_publisher(RewardParams, names.REWARD_PARAMS_TOPIC, 10)
        self.track_pub = self.create_publisher(TrackInfo, names.TRACK_TOPIC, ros.LATCHED_QOS)
        # Two writers on one topic: a late RViz gets both the last track set and the last car/objects set.
        self.track_markers_pub = self.create_publisher(MarkerArray, names.MARKERS_TOPIC, ros.LATCHED_QOS)
        self.object_markers_pub = self.create_publisher(MarkerArray, names.MARKERS_TOPIC, ros.LATCHED_QOS)
        self.tf_pub = self.tf_static_pub = None
        tf_type = self._tf_message_type()
        if tf_type is not None:
            self.tf_type = tf_type
            self.tf_pub = self.create_publisher(tf_type, "/tf", 100)
            self.tf_static_pub = self.create_publisher(tf_type, "/tf_static", ros.LATCHED_QOS)

        self.create_subscription(AgentAction, names.ACTION_TOPIC, self._on_action, ros.LOCKSTEP_QOS)
        self.create_subscription(ros.import_interface(names.SERVO_TYPE), names.SERVO_TOPIC, self._on_servo, ros.SERVO_QOS)
        self.create_subscription(String, names.MODEL_METADATA_TOPIC, self._on_model_metadata, ros.LATCHED_QOS)
        self.create_service(ResetEpisode, names.RESET_EPISODE_SERVICE, self._on_reset_episode)
        self.create_service(SetTrack, names.SET_TRACK_SERVICE, self._on_set_track)
        self.create_service(SetBool, names.PAUSE_SERVICE, self._on_pause)

        # State of the loop.
        self.env: DeepRacerEnv | None = None
        self.metadata: ModelMetadata | None = None
        self.vehicle_source = ""
        self.step_id = 0
        self.time_offset = 0.0  # sim time of earlier environments, so /clock never goes back
        self.paused = False
        self.servo = (0.0, 0.0)  # latest valid (angle, throttle); the car starts at rest
        self.servo_ready = False  # lockstep: a servo message for the step waiting has arrived (see _on_servo)
        self.pending_action: AgentAction | None = None  # lockstep: the answer to SimStep step_id
        self.latest_action: AgentAction | None = None  # realtime: the newest action since the last step
        self.last_sim_step: SimStep | None = None
        self.last_sim_step_sent = 0.0
        self.waiting = False  # lockstep: SimStep step_id is out and unanswered
        self.last_display = -1e9
        self.track_spec, self.reverse_spec = p["track"], p["reverse"]
        self._lidars: dict[int, tuple] = {}
        self._ranges: np.ndarray | None = None
        self._lidar_period = -1

        self._choose_vehicle()
        if not (self.lockstep and p["wait_for_model"] and self.metadata is None):
            self._build(p["track"], p["reverse"])
        else:
            self.get_logger().info("waiting for a model (model_path or agent_node's announcement) to start")

        # The track markers again now and then, for a viewer that keeps only one sample of the topic.
        self.create_timer(TRACK_MARKER_PERIOD_S, self._republish_track_markers, clock=self.steady)
        if self.lockstep:
            self.create_timer(0.1, self._resend_if_unanswered, clock=self.steady)
        else:
            self.create_timer(1.0 / p["rate_hz"], self._realtime_tick, clock=self.steady)

    # ------------------------------------------------------------------ set-up
    def _tf_message_type(self):
        try:
            return ros.import_interface("tf2_msgs/msg/TFMessage")
        except ros.InterfaceTypeError:
            self.get_logger().warning("tf2_msgs is not installed: /tf and /tf_static are not published "
                                      "(install ros-<distro>-tf2-msgs; /odom still carries the pose)")
            return None

    def _choose_vehicle(self) -> None:
        model_path = self.p["model_path"]
        if model_path:
            try:
                path = model_files.find_metadata(model_path)
                self.metadata = ModelMetadata.load(path)
                self.vehicle_source = str(path)
                return
            except ModelMetadataError as error:
                self.get_logger().error(f"model_path: {error}; using the sensors parameter instead")
        self.metadata = None
        self.vehicle_source = "sensors parameter"

    def _env_kwargs(self, track: str, reverse: bool) -> dict:
        p = self.p
        sensors = list(self.metadata.sensor) if self.metadata else list(p["sensors"])
        kwargs = dict(
            track=track, reverse=reverse, alternate_direction=p["alternate_direction"], sensors=sensors,
            race_type=p["race_type"], bot_car_speed=p["bot_car_speed"], randomize_obstacles=p["randomize_obstacles"],
            evaluation=p["evaluation"], number_of_resets=p["number_of_resets"],
            off_track_penalty=p["off_track_penalty"], collision_penalty=p["collision_penalty"],
            round_robin_advance=p["round_robin_advance"], walls=p["walls"], seed=p["seed"],
            # Rewards are agent_node's business (it has the user's function); the simulator's own call is a no-op.
            reward_function=lambda params: 0.0,
        )
        if self.metadata is not None:
            kwargs["action_space"] = self.metadata.action_space
            kwargs["lidar_config"] = self.metadata.lidar_config
        if p["number_of_obstacles"] >= 0:
            kwargs["number_of_obstacles"] = p["number_of_obstacles"]
        if p["number_of_bot_cars"] >= 0:
            kwargs["number_of_bot_cars"] = p["number_of_bot_cars"]
        return kwargs

    def _build(self, track: str, reverse: bool) -> None:
        """(Re)create the environment and start its first episode. Raises ValueError on a bad setting."""
        env = DeepRacerEnv(**self._env_kwargs(track, reverse))
        self.track_spec, self.reverse_spec = track, reverse
        if self.env is not None:
            self.time_offset += self.env.sim.sim_time
        self.env = env
        self.actions = env.actions
        self.car = ServoDrivenCar(env.sim.car)
        env.sim.car = self.car
        self.suite = env.config.make_suite()
        self.camera, self.lidar = env.config.camera, env.config.lidar
        self.stereo = self.camera == "STEREO_CAMERAS"
        self._lidars.clear()
        self.servo_max_steer = self.p["servo_max_steering_angle"] or self.actions.max_steering_angle
        self.servo_max_speed = self.p["servo_max_speed"] or self.actions.max_speed
        self.get_logger().info(
            f"track {env.track.name} ({'reversed' if env.track.is_reversed else 'forward'}), sensors "
            f"{[s for s in (self.camera, self.lidar) if s]} from {self.vehicle_source}, {self.p['mode']} mode; "
            f"servo full lock {self.servo_max_steer:g}°, full throttle {self.servo_max_speed:g} m/s")
        self._publish_track()
        self._reset_episode()

    def _publish_track(self) -> None:
        track = self.env.track
        stamp = views.stamp_of(self.sim_time)
        self.track_pub.publish(messages.track_to_msg(track))
        markers = views.track_markers(track, stamp)  # starts with a DELETEALL of the old track's markers
        self.track_markers_pub.publish(MarkerArray(markers=markers))
        # Repeats leave out the DELETEALL, which would also blank the car and objects until their next update.
        self.track_markers = MarkerArray(markers=markers[1:])
        self.waypoints = track.waypoints
        if self.tf_static_pub is not None:
            self.tf_static_pub.publish(self.tf_type(transforms=views.static_transforms(stamp, self.stereo)))

    @property
    def sim_time(self) -> float:
        return self.time_offset + (self.env.sim.sim_time if self.env is not None else 0.0)

    # ------------------------------------------------------------------ inputs
    def _on_servo(self, msg) -> None:
        angle, throttle = self.servo
        bad = []
        # Like the car's servo_node: a value outside [-1, 1] is logged and only that channel is ignored.
        if ros.finite(msg.angle) and -1.0 <= msg.angle <= 1.0:
            angle = float(msg.angle)
        else:
            bad.append(f"angle {msg.angle}")
        if ros.finite(msg.throttle) and -1.0 <= msg.throttle <= 1.0:
            throttle = float(msg.throttle)
        else:
            bad.append(f"throttle {msg.throttle}")
        if bad:
            self.get_logger().error(f"servo message ignored for {', '.join(bad)}: outside [-1, 1]",
                                    throttle_duration_sec=SERVO_LOG_THROTTLE_S)
        self.servo = (angle, throttle)
        if not self.lockstep or not self.waiting:
            return
        if self.pending_action is not None:
            if self.paused:
                self.servo_ready = True
            else:
                self._step_with(self.pending_action)
        elif throttle > 0.0:
            # The servo message can overtake the action it answers (they come from different nodes):
            # keep it as the answer's candidate.
            self.servo_ready = True
        else:
            # Throttle 0 with no action pending: control_node's watchdog or a stop. It never becomes a step
            # (control_node's watchdog should not even fire here: on sim time it stands still with the sim).
            self.get_logger().warning(
                f"servo throttle 0 while waiting for the action of step {self.step_id}: not a step "
                "(is control_node running with use_sim_time?)", throttle_duration_sec=SERVO_LOG_THROTTLE_S)

    def _on_action(self, msg: AgentAction) -> None:
        if not self.lockstep:
            self.latest_action = msg
            return
        if self.waiting and msg.step == self.step_id and self.pending_action is None:
            self.pending_action = msg
            if self.servo_ready and not self._answers(msg):
                # An earlier step's servo message (after a resend): wait for this action's own.
                self.servo_ready = False
            if self.servo_ready and not self.paused:
                self._step_with(msg)  # its servo message came first
        # Other steps are stale answers (to a SimStep already resent or replaced); ignore them.

    def _answers(self, action: AgentAction) -> bool:
        """Whether the servo message in hand can be control_node's answer to `action`: the car's navigation
        mapping gives angle = steering / the model's largest steering angle (the throttle depends on the
        throttle scale, which only control_node knows)."""
        steering, _, _ = self._command_of(action)
        expected = max(-1.0, min(1.0, steering / self.actions.max_steering_angle))
        return abs(self.servo[0] - expected) < 1e-4

    def _on_model_metadata(self, msg: String) -> None:
        if self.p["model_path"]:
            return
        try:
            metadata = ModelMetadata.from_dict(json.loads(msg.data), source="model metadata from agent_node")
        except (json.JSONDecodeError, ModelMetadataError) as error:
            self.get_logger().error(f"ignoring model metadata message: {error}")
            return
        if self.metadata is not None and metadata.to_dict() == self.metadata.to_dict() and self.env is not None:
            return
        self.metadata = metadata
        self.vehicle_source = "agent_node"
        try:
            self._build(self.track_spec, self.reverse_spec)
        except ValueError as error:
            self.get_logger().error(f"cannot simulate the announced model: {error}")

    # ------------------------------------------------------------------ services
    def _on_reset_episode(self, request, response):
        if self.env is None:
            response.success, response.message = False, "no simulation yet (waiting for a model)"
            return response
        start = request.start_ndist
        if start >= 0.0 and not start < 1.0:
            response.success, response.message = False, f"start_ndist must be in [0, 1) or negative, got {start}"
            return response
        self._reset_episode(None if start < 0.0 else float(start))
        response.success, response.message = True, f"episode {self.env.sim.episode} started"
        response.step = self.step_id
        return response

    def _on_set_track(self, request, response):
        if not request.track:
            response.success, response.message = False, "track is empty"
            return response
        try:
            self._build(request.track, bool(request.reverse))
        except (ValueError, OSError) as error:
            response.success, response.message = False, str(error)
            self.get_logger().error(f"set_track {request.track!r}: {error}")
            return response
        response.success, response.message = True, f"track {self.env.track.name}"
        return response

    def _on_pause(self, request, response):
        self.paused = bool(request.data)
        response.success = True
        response.message = "paused" if self.paused else "running"
        if not self.paused and self.lockstep and self.pending_action is not None and self.servo_ready:
            self._step_with(self.pending_action)
        return response

    # ------------------------------------------------------------------ the loop
    def _realtime_tick(self) -> None:
        if self.env is None or self.paused:
            return
        action, self.latest_action = self.latest_action, None
        self._step(action)

    def _step_with(self, action: AgentAction) -> None:
        self.pending_action = None
        self.servo_ready = False
        self.waiting = False
        self._step(action)

    def _command_of(self, action: AgentAction | None) -> tuple[float, float, int]:
        """The (steering, speed, index) the params report: the action's exact command when there is one."""
        if action is not None:
            try:
                if self.actions.type == "discrete":
                    steering, speed = self.actions.command(int(action.action_index))
                    return steering, speed, int(action.action_index)
                steering, speed = self.actions.command([float(v) for v in action.probabilities])
                return steering, speed, -1
            except ActionSpaceError as error:
                self.get_logger().error(f"action for step {action.step} does not fit the action space ({error}); "
                                        "reporting the servo's command", throttle_duration_sec=SERVO_LOG_THROTTLE_S)
        steering, speed = self._servo_command()
        return steering, speed, -1

    def _servo_command(self) -> tuple[float, float]:
        angle, throttle = self.servo
        return servo_to_command(angle, throttle, self.servo_max_steer, self.servo_max_speed)

    def _step(self, action: AgentAction | None) -> None:
        sim = self.env.sim
        steering, speed, index = self._command_of(action)
        self.car.servo = self._servo_command()  # throttle <= 0 gives speed 0: brake to rest
        sim.begin_step(steering, speed, index)
        frames, ranges = self._observe()
        outcome = sim.finish_step()
        status = dict(outcome.info)
        status["status"] = outcome.info["episode_status"]
        status["done"] = bool(outcome.terminated or outcome.truncated)
        self._publish_step(frames, ranges, outcome.params, status)
        if status["done"]:
            self._reset_episode()

    def _reset_episode(self, start_ndist: float | None = None) -> None:
        sim = self.env.sim
        info = sim.reset(start_ndist)
        self._lidar_period = -1
        frames, ranges = self._observe()
        status = {"episode": info["episode"], "steps": 0.0, "status": info["episode_status"], "done": False,
                  "progress": info["progress"]}
        self._publish_step(frames, ranges, None, status)

    def _lidar_for(self, track):
        entry = self._lidars.get(id(track))
        if entry is None or entry[0] is not track:
            from deepracer_sim.sensors.lidar import Lidar

            entry = (track, Lidar(track, walls=self.env.config.walls))
            self._lidars[id(track)] = entry
        return entry[1]

    def _observe(self) -> tuple[np.ndarray, np.ndarray | None]:
        """Camera frames (120, 160, C) and the raw LIDAR ranges (the 10 Hz scan, reused between scans)."""
        sim = self.env.sim
        pose = np.array([sim.car.pose], dtype=np.float64)
        objects = sim.objects.array
        frames = self.suite.render([sim.track], pose, [objects])[0]
        if self.lidar is None:
            return frames, None
        period = lidar_period(sim.sim_time)
        if period != self._lidar_period or self._ranges is None:
            self._ranges = self._lidar_for(sim.track).scan(pose, objects if len(objects) else None)[0]
            self._lidar_period = period
        return frames, self._ranges

    # ------------------------------------------------------------------ outputs
    def _publish_step(self, frames: np.ndarray, ranges: np.ndarray | None, params: dict | None,
                      status: dict) -> None:
        now = self.sim_time
        stamp = views.stamp_of(now)
        self.step_id += 1
        if self.stereo:
            images = [messages.mono8_image(frames[:, :, i], stamp, frame) for i, frame in
                      enumerate((names.LEFT_CAMERA_OPTICAL_FRAME, names.RIGHT_CAMERA_OPTICAL_FRAME))]
        else:
            images = [messages.mono8_image(frames, stamp, names.CAMERA_OPTICAL_FRAME)]
        step = SimStep()
        step.header.stamp = stamp
        step.header.frame_id = names.BASE_FRAME
        step.step = self.step_id
        step.images = images
        if ranges is not None:
            step.lidar = array.array("f", np.asarray(ranges, dtype=np.float32).tobytes())
        if params is not None:
            messages.params_to_msg(params, step.params)
            step.params.header.stamp = stamp
        messages.status_to_msg(status, step.status)
        step.status.header.stamp = stamp
        self.clock_pub.publish(ClockMsg(clock=stamp))
        self.sim_step_pub.publish(step)
        self.last_sim_step = step
        self.last_sim_step_sent = time.monotonic()
        if self.lockstep and not status["done"]:
            self.waiting = True
            self.pending_action = None
            self.servo_ready = False

        display_due = not self.lockstep or time.monotonic() - self.last_display >= 1.0 / self.p["display_rate_hz"]
        if status["done"] or display_due:
            self.status_pub.publish(step.status)
        if not display_due:
            return
        self.last_display = time.monotonic()
        if params is not None:
            self.params_pub.publish(step.params)
        self.camera_pub.publish(images[0])
        info_frame = names.LEFT_CAMERA_OPTICAL_FRAME if self.stereo else names.CAMERA_OPTICAL_FRAME
        self.camera_info_pub.publish(views.camera_info(stamp, info_frame))
        if self.stereo:
            for publisher, image in zip(self.stereo_pubs, images):
                publisher.publish(image)
        if ranges is not None:
            self.scan_pub.publish(views.laser_scan(ranges, stamp))
        state = self.env.sim.car.state
        self.odom_pub.publish(views.odometry(state, stamp))
        if self.tf_pub is not None:
            self.tf_pub.publish(self.tf_type(transforms=[views.odom_transform(state[0], state[1], state[2], stamp)]))
        self.object_markers_pub.publish(MarkerArray(markers=views.dynamic_markers(
            self.env.sim.car.pose, CAR_SIZE, self.env.sim.objects.array, stamp)))

    def _republish_track_markers(self) -> None:
        if self.env is not None:
            self.track_markers_pub.publish(self.track_markers)

    def _resend_if_unanswered(self) -> None:
        if self.waiting and self.last_sim_step is not None and not self.paused and \
                time.monotonic() - self.last_sim_step_sent >= self.p["lockstep_resend_s"]:
            self.sim_step_pub.publish(self.last_sim_step)
            self.last_sim_step_sent = time.monotonic()


def main(args: list[str] | None = None) -> int:
    return ros.spin_node(SimNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
