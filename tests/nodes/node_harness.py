"""Run DeepRacer nodes in their own processes and watch them over real DDS from the test process.

Node processes are `sys.executable -m <module>` with the test's environment (the
workspace must be sourced) plus a ROS_DOMAIN_ID of this test session, so
parallel test runs never see each other's topics.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import rclpy
import yaml
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor


def session_domain_id() -> int:
    """A DDS domain of this pytest process (101..200; Fast DDS accepts up to 232)."""
    explicit = os.environ.get("DEEPRACER_TEST_DOMAIN_ID")
    return int(explicit) if explicit else 101 + os.getpid() % 100


def ros_environment(domain_id: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["ROS_DOMAIN_ID"] = str(domain_id)
    # Discovery stays on this machine: tests must not talk to anything on the network.
    env["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    env.pop("ROS_LOCALHOST_ONLY", None)
    env["PYTHONUNBUFFERED"] = "1"
    env["RCUTILS_COLORIZED_OUTPUT"] = "0"
    if extra:
        env.update(extra)
    return env


class NodeProcess:
    """One node in a child process; its stdout and stderr go to a log file the test can read."""

    def __init__(self, module: str, log_path: Path, env: dict[str, str], params: dict[str, dict] | None = None,
                 params_files: list[Path] = (), extra_args: list[str] = ()):
        self.module = module
        self.log_path = log_path
        # A module name runs with -m; a path to a .py file runs as a script.
        target = [module] if module.endswith(".py") else ["-m", module]
        command = [sys.executable, *target, *extra_args, "--ros-args"]
        if params:
            params_file = log_path.with_suffix(".params.yaml")
            params_file.write_text(yaml.safe_dump(
                {node: {"ros__parameters": values} for node, values in params.items()}))
            params_files = [*params_files, params_file]
        for path in params_files:
            command += ["--params-file", str(path)]
        self._log = open(log_path, "w")
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                        start_new_session=True)

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_text(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 5.0) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5.0)
        self._log.close()
        return self.process.returncode


class RosProbe:
    """A node inside the test process, with its own context on the session's domain."""

    def __init__(self, domain_id: int, name: str = "test_probe"):
        self.context = Context()
        rclpy.init(context=self.context, domain_id=domain_id)
        self.node = rclpy.create_node(name, context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)

    def subscribe(self, msg_type, topic: str, qos) -> list:
        received: list = []
        self.node.create_subscription(msg_type, topic, received.append, qos)
        return received

    def publisher(self, msg_type, topic: str, qos):
        return self.node.create_publisher(msg_type, topic, qos)

    def spin_for(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.executor.spin_once(timeout_sec=min(0.05, max(0.0, end - time.monotonic())))

    def spin_until(self, condition: Callable[[], Any], timeout: float, what: str,
                   processes: tuple[NodeProcess, ...] = ()) -> Any:
        """Spin until condition() is truthy; fail naming `what` (and showing node logs) on timeout."""
        end = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            for process in processes:
                if not process.alive():
                    raise AssertionError(f"{process.module} exited while waiting for {what}:\n{process.log_text()}")
            if time.monotonic() > end:
                logs = "\n".join(f"--- {p.module}\n{p.log_text()[-4000:]}" for p in processes)
                raise AssertionError(f"timed out after {timeout:g} s waiting for {what}\n{logs}")
            self.executor.spin_once(timeout_sec=0.05)

    def wait_for_subscribers(self, publisher, count: int = 1, timeout: float = 20.0, processes=()) -> None:
        self.spin_until(lambda: publisher.get_subscription_count() >= count, timeout,
                        f"{count} subscriber(s) on {publisher.topic_name}", processes)

    def call(self, srv_type, name: str, request, timeout: float = 20.0, processes=()):
        client = self.node.create_client(srv_type, name)
        try:
            self.spin_until(client.service_is_ready, timeout, f"service {name}", processes)
            future = client.call_async(request)
            self.spin_until(future.done, timeout, f"reply from {name}", processes)
            return future.result()
        finally:
            self.node.destroy_client(client)

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.context)
