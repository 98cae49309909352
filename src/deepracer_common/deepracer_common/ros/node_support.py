"""What every DeepRacer node shares besides the names (names.py): QoS profiles, dynamic type import,
parameter declaration, throttled logging and the spin loop.

QoS follows REP-2003: sensor producers publish reliably (SystemDefaults) and consumers subscribe
best-effort; the servo topic uses the physical car's KeepLast 1 best-effort on both sides so that the
stock servo_node and our control_node can be swapped for each other.
"""
from __future__ import annotations

import importlib
import math
import os
import sys
from typing import Any, Callable

import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.qos import (
    DurabilityPolicy,
    HistoryPolicy,
    QoSProfile,
    ReliabilityPolicy,
    qos_profile_sensor_data,
)

# Consumers of camera and scan data: best effort, keep last 5 (rclcpp SensorDataQoS).
SENSOR_QOS = qos_profile_sensor_data
# The car's servo topic, publisher and subscriber alike.
SERVO_QOS = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1, reliability=ReliabilityPolicy.BEST_EFFORT)
# Lock-step traffic (sim_step, action): a lost message would stall training, so reliable.
LOCKSTEP_QOS = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=10, reliability=ReliabilityPolicy.RELIABLE)
# State that late joiners need (track, model metadata), like a map: reliable, transient local.
LATCHED_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=1,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.TRANSIENT_LOCAL,
)


class InterfaceTypeError(ValueError):
    """A message type string does not name an importable ROS interface."""


def import_interface(type_name: str) -> type:
    """The Python class of a ROS type string such as 'deepracer_interfaces_pkg/msg/ServoCtrlMsg'.

    Lets a parameter pick between our interface package and the physical car's,
    which has the same fields but another package name (so another DDS type).
    """
    parts = type_name.strip().split("/")
    if len(parts) == 2:  # 'pkg/Type' shorthand
        parts = [parts[0], "msg", parts[1]]
    if len(parts) != 3 or not all(parts) or parts[1] not in ("msg", "srv"):
        raise InterfaceTypeError(f"'{type_name}' is not a ROS type name like 'package/msg/Type'")
    package, kind, name = parts
    try:
        module = importlib.import_module(f"{package}.{kind}")
    except ImportError as error:
        raise InterfaceTypeError(
            f"cannot import '{type_name}': package '{package}' is not built or not sourced ({error})"
        ) from None
    try:
        return getattr(module, name)
    except AttributeError:
        raise InterfaceTypeError(f"cannot import '{type_name}': '{package}/{kind}' has no type '{name}'") from None


def declare_parameters(node, table: dict[str, tuple]) -> None:
    """Declare a node's parameters from its PARAMETERS table: name -> (default, description[, read_only]).

    One table per node module, so the launch-file test can check every parameter a launch or
    YAML file sets against what the node really declares.
    """
    from rcl_interfaces.msg import ParameterDescriptor

    for name, entry in table.items():
        default, description = entry[0], entry[1]
        read_only = bool(entry[2]) if len(entry) > 2 else False
        node.declare_parameter(name, default, ParameterDescriptor(description=description, read_only=read_only))


class ThrottledLog:
    """Log each distinct problem at most once per `period` seconds, so a flood of one bad input cannot hide
    another kind of bad input (rclpy's throttle is per call site, not per message)."""

    def __init__(self, logger, period: float = 2.0):
        self.logger = logger
        self.period = period
        self._last: dict[str, float] = {}

    def error(self, key: str, text: str) -> None:
        import time

        now = time.monotonic()
        if now - self._last.get(key, -1e9) >= self.period:
            self._last[key] = now
            if len(self._last) > 256:  # keys come from messages: keep the table small
                self._last = {key: now}
            self.logger.error(text)


def finite(value: float) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def make_executor():
    """rclpy's EventsExecutor where it exists (about 6x less overhead per message than the default
    executor, which is most of a lock-step loop's time), else SingleThreadedExecutor.
    DEEPRACER_ROS_EXECUTOR=single forces the default one."""
    if os.environ.get("DEEPRACER_ROS_EXECUTOR", "events") == "events":
        try:
            from rclpy.experimental import EventsExecutor
        except ImportError:
            pass
        else:
            return EventsExecutor()
    return SingleThreadedExecutor()


def spin_until_shutdown(executor, context=None, deadline: float | None = None) -> None:
    """spin_once until the context is shut down (SIGINT/SIGTERM) or the monotonic deadline passes.

    A signal can shut the context down while a callback is publishing; the error that publish raises
    then is part of a clean shutdown, not a crash.
    """
    import time

    # spin_once in a loop: EventsExecutor.spin() of Kilted's wheels busy-waits without serving callbacks.
    while rclpy.ok(context=context) and (deadline is None or time.monotonic() < deadline):
        try:
            executor.spin_once(timeout_sec=0.2)
        except (KeyboardInterrupt, ExternalShutdownException):
            return
        except Exception:
            if rclpy.ok(context=context):
                raise
            return


def spin_node(make_node: Callable[[], Any], args: list[str] | None = None) -> int:
    """Create a node and spin it until Ctrl-C or SIGTERM; the body of every node's main()."""
    # rclpy's own signal handlers turn SIGINT and SIGTERM (what launch and the tests send) into a clean
    # ExternalShutdownException out of spin(); a Python handler here could deadlock inside the executor.
    rclpy.init(args=args)
    node = None
    try:
        try:
            node = make_node()
        except ValueError as error:  # configuration errors: one clear line, not a traceback
            print(f"[FATAL] {error}", file=sys.stderr)
            return 1
        executor = make_executor()
        executor.add_node(node)
        spin_until_shutdown(executor, node.context)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        if node is not None:
            close = getattr(node, "close", None)
            if close is not None:
                close()
            node.destroy_node()
        rclpy.try_shutdown()
    return int(getattr(node, "exit_code", 0) or 0)
