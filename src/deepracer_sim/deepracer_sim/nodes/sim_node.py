"""sim_node: the embedded DeepRacer simulator as a ROS 2 node, driven by the car's servo topic.

The node wires topics, services and timers to the simulator's front-end core (deepracer_sim.stepping):
- the car is driven as the physical servo would drive it: /ctrl_pkg/servo_msg (angle, throttle in
  [-1, 1]) becomes the drive command, a steering angle and a speed (throttle <= 0 brakes to a stop);
  the reward params keep the *action's* commanded steering and speed when an AgentAction is known for
  the step (stepping.commands); a car standing still because the throttle is 0 is not immobilized;
- realtime mode: one step every 1/rate_hz s of wall clock (15 Hz) with the latest servo command;
- lockstep mode: one step per action, SimStep k out, then the AgentAction answering k and
  control_node's servo message for it, in either order (stepping.lockstep);
- every step's topics go out through the step publisher it shares with gazebo_bridge_node.

/clock carries the simulation time; every other node runs on it (use_sim_time), so in lock-step
time stands still while the simulator waits, and so do their timers (control_node's watchdog).
"""
from __future__ import annotations

from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from std_msgs.msg import String
from std_srvs.srv import SetBool

from deepracer_common.model_metadata import CAMERA_SENSORS, ModelMetadata
from deepracer_common.race import DEFAULT_TRACK, workshop_action_space
from deepracer_common.ros import names
from deepracer_common.ros import node_support as ros
from deepracer_interfaces.msg import AgentAction
from deepracer_interfaces.srv import ResetEpisode, SetTrack
from deepracer_sim.env import DeepRacerEnv
from deepracer_sim.nodes import front_end
from deepracer_sim.nodes.step_publisher import StepPublisher
from deepracer_sim.stepping.commands import CommandSource, StepCommand
from deepracer_sim.stepping.embedded import EmbeddedSimulator
from deepracer_sim.stepping.lockstep import Decision, Lockstep
from deepracer_sim.stepping.report import StepReport

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
RESEND_CHECK_PERIOD_S = 0.1


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
        self.publisher = StepPublisher(self, clock_and_odometry=True,
                                       display_period_s=1.0 / p["display_rate_hz"] if self.lockstep else 0.0)
        self.commands = CommandSource(workshop_action_space(), p["servo_max_steering_angle"], p["servo_max_speed"])
        self.protocol = Lockstep(self.commands.servo_angle_for, p["lockstep_resend_s"])

        self.create_subscription(AgentAction, names.ACTION_TOPIC, self._on_action, ros.LOCKSTEP_QOS)
        self.create_subscription(ros.import_interface(names.SERVO_TYPE), names.SERVO_TOPIC, self._on_servo, ros.SERVO_QOS)
        self.create_subscription(String, names.MODEL_METADATA_TOPIC, self._on_model_metadata, ros.LATCHED_QOS)
        self.create_service(ResetEpisode, names.RESET_EPISODE_SERVICE, self._on_reset_episode)
        self.create_service(SetTrack, names.SET_TRACK_SERVICE, self._on_set_track)
        self.create_service(SetBool, names.PAUSE_SERVICE, self._on_pause)

        self.simulator: EmbeddedSimulator | None = None
        self.metadata: ModelMetadata | None = None
        self.vehicle_source = "sensors parameter"
        self.step_id = 0
        self.paused = False
        self.track_spec, self.reverse_spec = p["track"], p["reverse"]
        if p["model_path"]:
            loaded = front_end.load_model_metadata(self, p["model_path"], "the sensors parameter")
            if loaded is not None:
                self.metadata, self.vehicle_source = loaded
        if not (self.lockstep and p["wait_for_model"] and self.metadata is None):
            self._build(p["track"], p["reverse"])
        else:
            self.get_logger().info("waiting for a model (model_path or agent_node's announcement) to start")

        self.create_timer(TRACK_MARKER_PERIOD_S, self.publisher.republish_track_markers, clock=self.steady)
        if self.lockstep:
            self.create_timer(RESEND_CHECK_PERIOD_S, self._resend_if_unanswered, clock=self.steady)
        else:
            self.create_timer(1.0 / p["rate_hz"], self._realtime_tick, clock=self.steady)

    # ------------------------------------------------------------------ set-up
    def _env_kwargs(self, track: str, reverse: bool) -> dict:
        p = self.p
        sensors = list(self.metadata.sensor) if self.metadata else list(p["sensors"])
        if not any(sensor in CAMERA_SENSORS for sensor in sensors):
            sensors.insert(0, "FRONT_FACING_CAMERA")  # the car always has its camera
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
        """(Re)create the simulator and start its first episode. Raises ValueError on a bad setting."""
        env = DeepRacerEnv(**self._env_kwargs(track, reverse))
        previous = self.simulator
        self.simulator = EmbeddedSimulator(env, time_offset=previous.sim_time if previous is not None else 0.0)
        self.track_spec, self.reverse_spec = track, reverse
        self.commands.use_action_space(env.actions)
        config = env.config
        self.get_logger().info(
            f"track {env.track.name} ({'reversed' if env.track.is_reversed else 'forward'}), sensors "
            f"{config.sensor_names} from {self.vehicle_source}, {self.p['mode']} mode; "
            f"servo full lock {self.commands.max_steer:g}°, full throttle {self.commands.max_speed:g} m/s")
        self.publisher.publish_track(env.track, self.simulator.sim_time, self.simulator.stereo)
        self._publish(self.simulator.reset())

    # ------------------------------------------------------------------ inputs
    def _on_servo(self, msg) -> None:
        bad = self.commands.set_servo(float(msg.angle), float(msg.throttle))
        if bad:
            self.get_logger().error(f"servo message ignored for {', '.join(bad)}: outside [-1, 1]",
                                    throttle_duration_sec=SERVO_LOG_THROTTLE_S)
        if self.lockstep:
            self._decide(self.protocol.on_servo(*self.commands.servo))

    def _on_action(self, msg: AgentAction) -> None:
        action = (msg.action_index, msg.probabilities)
        if self.lockstep:
            self._decide(self.protocol.on_action(msg.step, action))
        else:
            self.commands.set_action(*action)

    def _on_model_metadata(self, msg: String) -> None:
        if self.p["model_path"]:
            return
        metadata = front_end.announced_metadata(self, msg.data)
        if metadata is None:
            return
        if self.metadata is not None and metadata.to_dict() == self.metadata.to_dict() and self.simulator is not None:
            return
        self.metadata = metadata
        self.vehicle_source = "agent_node"
        try:
            self._build(self.track_spec, self.reverse_spec)
        except ValueError as error:
            self.get_logger().error(f"cannot simulate the announced model: {error}")

    # ------------------------------------------------------------------ services
    def _on_reset_episode(self, request, response):
        return front_end.answer_reset(request, response, self._start_requested_episode)

    def _start_requested_episode(self, start_ndist: float | None) -> tuple[str, int]:
        if self.simulator is None:
            raise front_end.EpisodeRefused("no simulation yet (waiting for a model)")
        self._publish(self.simulator.reset(start_ndist))
        return f"episode {self.simulator.env.sim.episode} started", self.step_id

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
        response.success, response.message = True, f"track {self.simulator.track.name}"
        return response

    def _on_pause(self, request, response):
        return front_end.answer_pause(request, response, self._set_paused)

    def _set_paused(self, paused: bool) -> None:
        self.paused = paused
        if self.lockstep:
            self._decide(self.protocol.set_paused(paused))

    # ------------------------------------------------------------------ the loop
    def _realtime_tick(self) -> None:
        if self.simulator is not None and not self.paused:
            self._step(self.commands.take_step_command())

    def _decide(self, decision: Decision) -> None:
        if decision.stop_ignored:
            # control_node's watchdog should not even fire here: on sim time it stands still with the sim.
            self.get_logger().warning(
                f"servo throttle 0 while waiting for the action of step {self.protocol.step}: not a step "
                "(is control_node running with use_sim_time?)", throttle_duration_sec=SERVO_LOG_THROTTLE_S)
        if decision.step_with is not None:
            self._step(self.commands.take_step_command(decision.step_with))

    def _step(self, command: StepCommand) -> None:
        if command.error:
            self.get_logger().error(command.error, throttle_duration_sec=SERVO_LOG_THROTTLE_S)
        report = self.simulator.step(command)
        self._publish(report)
        if report.done:
            self._publish(self.simulator.reset())

    def _publish(self, report: StepReport) -> None:
        self.step_id += 1
        self.publisher.publish(self.step_id, report)
        if self.lockstep:
            self.protocol.sent(self.step_id, expects_answer=not report.done)

    def _resend_if_unanswered(self) -> None:
        if self.protocol.resend_due():
            self.publisher.resend()


def main(args: list[str] | None = None) -> int:
    return ros.spin_node(SimNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
