"""control_node: agent actions → the car's servo topic, exactly as the car's navigation node maps them.

Subscribes to /deepracer/action (AgentAction) and publishes ServoCtrlMsg on
/ctrl_pkg/servo_msg with the car's semantics (docs/car-interfaces.md#navigation-mapping): steering relative
to the model's largest steering angle, speed through the car's speed curve,
times the throttle scale (the car's "maximum speed" setting), clamped to [-1, 1].

Safety:
- a watchdog publishes angle 0 / throttle 0 when no action arrived for
  `watchdog_timeout` seconds of node time (sim time under `use_sim_time`, so a
  lock-step simulator that waits for an action freezes the watchdog too and a
  zero command can never stand in for a missing action);
- a malformed action, or one that arrives before an action space is known,
  publishes angle 0 / throttle 0 (the car's navigation node does the same on any
  error) and is logged, never raised;
- /deepracer_control/enable (std_srvs/SetBool) starts and stops driving;
  stopping publishes one zero command.

The output type is a parameter: `deepracer_interfaces/msg/ServoCtrlMsg` in
simulation, `deepracer_interfaces_pkg/msg/ServoCtrlMsg` to reach the stock
servo_node on the physical car (same fields, different package, so a different
DDS type).
"""
from __future__ import annotations

import json

from rcl_interfaces.msg import SetParametersResult
from rclpy.node import Node
from rclpy.parameter import Parameter
from std_msgs.msg import String
from std_srvs.srv import SetBool

from deepracer_common import model_files
from deepracer_common.action_space import ActionSpaceError
from deepracer_common.model_metadata import ModelMetadata, ModelMetadataError
from deepracer_common.ros import names
from deepracer_common.ros import node_support as ros
from deepracer_control.navigation import NavigationMapper, ServoCommand
from deepracer_interfaces.msg import AgentAction
from deepracer_interfaces.srv import SetThrottleScale

STOP = ServoCommand(angle=0.0, throttle=0.0)
# Log at most this often per kind of bad input, so a flood of bad actions cannot flood the log.
LOG_THROTTLE_S = 2.0


PARAMETERS = {
    "model_path": ("", "Model folder (or its model_metadata.json) whose action space maps actions; "
                       "empty = the action space agent_node announces on model_metadata_topic"),
    "throttle_scale": (0.0, "Share of full throttle at the model's top speed, [0, 1] (the car's maximum-speed "
                            "setting; the car starts at 0)"),
    "enabled": (True, "Drive on actions from the start (/deepracer_control/enable switches it)"),
    "watchdog_timeout": (0.5, "Seconds (node time) without an action before throttle 0 is sent; 0 disables"),
    "action_topic": (names.ACTION_TOPIC, "AgentAction input", True),
    "model_metadata_topic": (names.MODEL_METADATA_TOPIC, "model_metadata.json announced by agent_node", True),
    "output_topic": (names.SERVO_TOPIC, "Servo command output", True),
    "output_type": (names.SERVO_TYPE, "ServoCtrlMsg type to publish; deepracer_interfaces_pkg/msg/ServoCtrlMsg "
                                   "reaches the physical car's servo_node", True),
}


class ControlError(ValueError):
    """An action that cannot be mapped to a servo command."""


class ControlNode(Node):
    def __init__(self, **kwargs):
        super().__init__("control_node", **kwargs)
        ros.declare_parameters(self, PARAMETERS)

        # Type and topics are fixed for the node's life; a wrong type is a configuration error.
        self.servo_type = ros.import_interface(self.get_parameter("output_type").value)
        for field in ("angle", "throttle"):
            if not hasattr(self.servo_type, field):
                raise ros.InterfaceTypeError(f"output_type {self.servo_type.__name__} has no field '{field}'")

        self.mapper: NavigationMapper | None = None
        self.problems = ros.ThrottledLog(self.get_logger(), LOG_THROTTLE_S)
        self.model_source = ""
        self.throttle_scale = 0.0
        self.enabled = True
        self.watchdog_timeout = 0.5
        self.last_action_time = None  # node clock; None until the first action arms the watchdog
        self.watchdog_tripped = False
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self._apply_parameters([self.get_parameter(name) for name in
                                ("throttle_scale", "enabled", "watchdog_timeout", "model_path")], startup=True)

        self.servo_pub = self.create_publisher(self.servo_type, self.get_parameter("output_topic").value, ros.SERVO_QOS)
        self.create_subscription(AgentAction, self.get_parameter("action_topic").value, self._on_action,
                                 ros.LOCKSTEP_QOS)
        self.create_subscription(String, self.get_parameter("model_metadata_topic").value, self._on_model_metadata,
                                 ros.LATCHED_QOS)
        self.create_service(SetBool, names.CONTROL_ENABLE_SERVICE, self._on_enable)
        self.create_service(SetThrottleScale, names.SET_THROTTLE_SCALE_SERVICE, self._on_set_throttle_scale)
        # A quarter of the timeout is precise enough, and under sim time a shorter period would wake the node
        # on nearly every simulator step for nothing.
        self.watchdog_timer = self.create_timer(max(0.02, self.watchdog_timeout / 4.0 or 0.1), self._check_watchdog)

        if self.throttle_scale == 0.0:
            self.get_logger().warning(
                "throttle_scale is 0: the car will not move until it is raised "
                f"({names.SET_THROTTLE_SCALE_SERVICE} or the throttle_scale parameter)")
        self.get_logger().info(
            f"publishing {self.get_parameter('output_type').value} on {self.get_parameter('output_topic').value}, "
            f"throttle_scale {self.throttle_scale:g}, watchdog {self.watchdog_timeout:g} s")

    # --- parameters and services -----------------------------------------------------------

    def _on_set_parameters(self, parameters: list[Parameter]) -> SetParametersResult:
        try:
            self._apply_parameters(parameters, startup=False)
        except (ValueError, TypeError) as error:
            return SetParametersResult(successful=False, reason=str(error))
        return SetParametersResult(successful=True)

    def _apply_parameters(self, parameters: list[Parameter], startup: bool) -> None:
        updates = {}
        for parameter in parameters:
            value = parameter.value
            if parameter.name == "throttle_scale":
                if not ros.finite(value) or not 0.0 <= value <= 1.0:
                    raise ValueError(f"throttle_scale must be in [0, 1], got {value!r}")
                updates["throttle_scale"] = float(value)
            elif parameter.name == "watchdog_timeout":
                if not ros.finite(value) or value < 0.0:
                    raise ValueError(f"watchdog_timeout must be >= 0 s, got {value!r}")
                updates["watchdog_timeout"] = float(value)
            elif parameter.name == "enabled":
                updates["enabled"] = bool(value)
        for name, value in updates.items():
            setattr(self, name, value)
        if "enabled" in updates and not updates["enabled"] and not startup:
            self._publish(STOP)
            self.last_action_time = None
        for parameter in parameters:
            if parameter.name == "model_path" and parameter.value:
                # A bad model path is logged and the node keeps running: actions then map to a stop.
                self._load_model_path(parameter.value)

    def _load_model_path(self, model_path: str) -> None:
        try:
            path = model_files.find_metadata(model_path)
            metadata = ModelMetadata.load(path)
        except ModelMetadataError as error:
            self.mapper = None
            self.model_source = ""
            self.get_logger().error(f"model_path: {error}; actions will map to a stop until a valid model is set")
            return
        self._use_metadata(metadata, str(path))

    def _use_metadata(self, metadata: ModelMetadata, source: str) -> None:
        self.mapper = NavigationMapper(metadata.action_space)
        self.model_source = source
        self.get_logger().info(f"action space from {source}: {metadata.action_space!r}")

    def _on_model_metadata(self, msg: String) -> None:
        if self.get_parameter("model_path").value:
            return  # an explicit model_path wins over what the agent announces
        try:
            data = json.loads(msg.data)
            metadata = ModelMetadata.from_dict(data, source="model metadata from agent_node")
        except (json.JSONDecodeError, ModelMetadataError) as error:
            self.get_logger().error(f"ignoring model metadata message: {error}")
            return
        self._use_metadata(metadata, "agent_node")

    def _on_enable(self, request: SetBool.Request, response: SetBool.Response) -> SetBool.Response:
        self.set_parameters([Parameter("enabled", Parameter.Type.BOOL, bool(request.data))])
        response.success = True
        response.message = "driving" if self.enabled else "stopped"
        self.get_logger().info(f"control {response.message}")
        return response

    def _on_set_throttle_scale(self, request, response):
        value = float(request.throttle_scale)
        result = self.set_parameters([Parameter("throttle_scale", Parameter.Type.DOUBLE, value)])[0]
        response.success = result.successful
        response.message = result.reason if not result.successful else f"throttle_scale {self.throttle_scale:g}"
        if not result.successful:
            self.get_logger().error(f"set_throttle_scale rejected: {result.reason}")
        return response

    # --- actions -----------------------------------------------------------------------------

    def command_for(self, msg: AgentAction) -> ServoCommand:
        """The servo command for an action; raises ControlError when it cannot be mapped."""
        if self.mapper is None:
            raise ControlError(
                "no action space known yet: set model_path or start agent_node, which announces its model")
        space = self.mapper.action_space
        try:
            if space.type == "discrete":
                return self.mapper.servo_for_action(int(msg.action_index), self.throttle_scale)
            if msg.action_index != -1 or len(msg.probabilities) != 2:
                raise ControlError(
                    f"a continuous action needs action_index -1 and 2 values, got index {msg.action_index} "
                    f"and {len(msg.probabilities)} values")
            # The car's navigation node clamps each continuous output to [-1, 1] before rescaling.
            return self.mapper.servo_for_action([float(v) for v in msg.probabilities], self.throttle_scale)
        except ActionSpaceError as error:
            raise ControlError(str(error)) from None

    def _on_action(self, msg: AgentAction) -> None:
        if not self.enabled:
            return
        self.last_action_time = self.get_clock().now()
        self.watchdog_tripped = False
        try:
            command = self.command_for(msg)
        except ControlError as error:
            self.problems.error(str(error), f"bad action (step {msg.step}): {error}; sending stop")
            command = STOP
        self._publish(command)

    def _check_watchdog(self) -> None:
        if not self.enabled or self.watchdog_timeout <= 0.0 or self.last_action_time is None:
            return
        silent = (self.get_clock().now() - self.last_action_time).nanoseconds * 1e-9
        if silent <= self.watchdog_timeout:
            return
        if not self.watchdog_tripped:
            self.get_logger().warning(f"no action for {silent:.2f} s: throttle 0")
            self.watchdog_tripped = True
        # Repeated while silent: the servo topic is best effort, one lost stop must not leave the car driving.
        self._publish(STOP)

    def _publish(self, command: ServoCommand) -> None:
        msg = self.servo_type()
        # The mapper clamps already; clamping again here guards the one message the hardware obeys.
        msg.angle = float(min(1.0, max(-1.0, command.angle)))
        msg.throttle = float(min(1.0, max(-1.0, command.throttle)))
        if hasattr(msg, "source_stamp"):  # the community car fork stamps servo messages for latency
            msg.source_stamp = self.get_clock().now().to_msg()
        self.servo_pub.publish(msg)


def main(args: list[str] | None = None) -> int:
    return ros.spin_node(ControlNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
