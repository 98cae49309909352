"""Fixtures for node tests: every node runs in its own process over real DDS."""
from __future__ import annotations

import itertools

import pytest

pytest.importorskip("rclpy", reason="ROS 2 (rclpy) is not installed: run `make setup` and source scripts/env.sh")
pytest.importorskip("deepracer_interfaces.msg",
                    reason="the workspace is not built or not sourced: run `make setup` and source scripts/env.sh")

from node_harness import NodeProcess, RosProbe, ros_environment, session_domain_id  # noqa: E402


@pytest.fixture(scope="session")
def domain_id() -> int:
    return session_domain_id()


@pytest.fixture(scope="session")
def ros_env(domain_id) -> dict:
    return ros_environment(domain_id)


@pytest.fixture(scope="session")
def standin_env(tmp_path_factory, ros_env):
    """The test environment plus stand-ins of the car's deepracer_interfaces_pkg and of tf2_msgs (about 20 s
    to build, once per session)."""
    from car_standin import build_standins

    return {**ros_env, **build_standins(tmp_path_factory.mktemp("standin_interfaces"))}


@pytest.fixture
def probe(domain_id):
    ros_probe = RosProbe(domain_id)
    try:
        yield ros_probe
    finally:
        ros_probe.close()


@pytest.fixture
def start_node(tmp_path, ros_env):
    """start_node(module, params={node_name: {...}}, env=None, args=[]) → NodeProcess, stopped after the test."""
    started: list[NodeProcess] = []
    counter = itertools.count()

    def start(module: str, params: dict | None = None, env: dict | None = None, args=(), params_files=()):
        log_path = tmp_path / f"{next(counter):02d}_{module.rsplit('.', 1)[-1]}.log"
        process = NodeProcess(module, log_path, env or ros_env, params=params, params_files=list(params_files),
                              extra_args=list(args))
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in reversed(started):
            process.stop()
