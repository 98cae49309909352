"""Benchmark: steps per second of the lock-step loop sim_node → agent_node → control_node → sim_node.

    python -m deepracer_bringup.bench_loop [--runs 3] [--seconds 10] [--sensors FRONT_FACING_CAMERA]

Each run starts the three nodes in separate processes over real DDS (a private ROS domain,
discovery on this machine only), with an untrained 3-layer CNN (the console's default network)
acting on the simulator's camera, waits for the loop to warm up, then counts SimSteps for
--seconds. It prints every run and the median. It is a benchmark, not a test: the figure depends
on the machine and on what else runs on it.
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

TARGET_STEPS_PER_SECOND = 200.0


def node_command(module: str, params_file: Path) -> list[str]:
    return [sys.executable, "-m", module, "--ros-args", "--params-file", str(params_file)]


def write_params(folder: Path, model: Path, sensors: list[str]) -> Path:
    params = {
        "/**": {"ros__parameters": {"use_sim_time": True}},
        "sim_node": {"ros__parameters": {"use_sim_time": False, "mode": "lockstep", "model_path": str(model),
                                         "sensors": sensors}},
        "agent_node": {"ros__parameters": {"model_path": str(model), "deterministic": False}},
        "control_node": {"ros__parameters": {"model_path": str(model), "throttle_scale": 1.0}},
    }
    path = folder / "bench_params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), 0 where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def measure(params_file: Path, domain_id: int, warmup_s: float, seconds: float,
            log_dir: Path) -> tuple[float, dict[str, float]]:
    """(steps per second, CPU milliseconds per step of each node) over the measurement window."""
    import rclpy
    from rclpy.context import Context
    from rclpy.executors import SingleThreadedExecutor

    from deepracer_common.ros import names
    from deepracer_common.ros import node_support as ros
    from deepracer_interfaces.msg import SimStep

    env = dict(os.environ, ROS_DOMAIN_ID=str(domain_id), ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST",
               PYTHONUNBUFFERED="1")
    processes = []
    context = Context()
    rclpy.init(context=context, domain_id=domain_id)
    try:
        for module in ("deepracer_sim.nodes.sim_node", "deepracer_agent.nodes.agent_node",
                       "deepracer_control.nodes.control_node"):
            log = open(log_dir / f"{module.rsplit('.', 1)[-1]}.log", "w")
            processes.append((subprocess.Popen(node_command(module, params_file), env=env, stdout=log,
                                               stderr=subprocess.STDOUT, start_new_session=True), log))
        node = rclpy.create_node("bench_probe", context=context)
        executor = SingleThreadedExecutor(context=context)
        executor.add_node(node)
        seen: list[tuple[float, int]] = []
        node.create_subscription(SimStep, names.SIM_STEP_TOPIC, lambda m: seen.append((time.monotonic(), m.step)),
                                 ros.LOCKSTEP_QOS)
        started = time.monotonic()
        while len(seen) < 50:
            executor.spin_once(timeout_sec=0.1)
            for process, _ in processes:
                if process.poll() is not None:
                    raise RuntimeError(f"a node exited early; see the logs in {log_dir}")
            if time.monotonic() - started > 120:
                raise RuntimeError(f"the loop did not start within 120 s; see the logs in {log_dir}")
        end_warmup = time.monotonic() + warmup_s
        while time.monotonic() < end_warmup:
            executor.spin_once(timeout_sec=0.1)
        first = len(seen)
        cpu_before = [cpu_seconds(p.pid) for p, _ in processes]
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            executor.spin_once(timeout_sec=0.1)
        cpu_after = [cpu_seconds(p.pid) for p, _ in processes]
        window = seen[first:]
        if len(window) < 2:
            raise RuntimeError(f"no steps during the measurement; see the logs in {log_dir}")
        (t0, s0), (t1, s1) = window[0], window[-1]
        steps = max(1, seen[-1][1] - window[0][1])
        names = ("sim_node", "agent_node", "control_node")
        cpu = {name: 1000.0 * (after - before) / steps for name, before, after in zip(names, cpu_before, cpu_after)}
        return (s1 - s0) / (t1 - t0), cpu
    finally:
        for process, log in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, log in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()
        rclpy.try_shutdown(context=context)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0, help="measurement window per run")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of running loop before measuring")
    parser.add_argument("--sensors", nargs="+", default=["FRONT_FACING_CAMERA"])
    parser.add_argument("--domain-id", type=int, default=None, help="ROS domain (default: from the pid)")
    args = parser.parse_args(argv)

    from deepracer_agent.model.samples import untrained_model
    from deepracer_common.race import workshop_action_space

    domain_id = args.domain_id if args.domain_id is not None else 201 + os.getpid() % 30
    rates = []
    with tempfile.TemporaryDirectory(prefix="deepracer-bench-") as tmp:
        folder = Path(tmp)
        model = untrained_model(folder / "model", workshop_action_space(), sensors=args.sensors)
        params_file = write_params(folder, model.path, args.sensors)
        for run in range(1, args.runs + 1):
            log_dir = folder / f"run{run}"
            log_dir.mkdir()
            rate, cpu = measure(params_file, domain_id, args.warmup, args.seconds, log_dir)
            rates.append(rate)
            costs = ", ".join(f"{name} {ms:.2f}" for name, ms in cpu.items())
            print(f"run {run}: {rate:.1f} steps/s (CPU ms per step: {costs}; load average "
                  f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)", flush=True)
    median = statistics.median(rates)
    print(f"lock-step loop sim_node → agent_node → control_node → sim_node, 3-layer CNN, {' + '.join(args.sensors)}: "
          f"median {median:.1f} steps/s over {len(rates)} runs (target {TARGET_STEPS_PER_SECOND:g})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
