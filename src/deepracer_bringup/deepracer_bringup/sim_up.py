"""`deepracer sim up`: the nodes of a launch file, started in one process, for machines without `ros2 launch`.

    deepracer sim up --model models/my-model                        # like launch/simulation.launch.py
    deepracer sim up --scenario training --model models/new-model [--config my_training.yaml]
    deepracer sim up --scenario evaluation --model models/my-model --track crescent_loop

Each scenario runs the same node classes with the same parameter file as its launch file
(launch/<scenario>.launch.py, config/<scenario>.yaml); the launch arguments become options.
The nodes share one rclpy executor and still talk over DDS, so RViz or `ros2 topic echo` on the
same ROS_DOMAIN_ID see every topic. Ctrl-C stops them; a training run stops by itself when done.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

# scenario -> (parameter file, node executables, the launch arguments it takes). Must match launch/*.launch.py
# (tests/nodes/test_launch_files.py checks it).
SCENARIOS = {
    "simulation": ("simulation.yaml", ("sim_node", "agent_node", "control_node"), ("model", "track", "rviz")),
    "training": ("training.yaml", ("sim_node", "agent_node", "control_node"), ("model", "config", "track")),
    "evaluation": ("evaluation.yaml", ("sim_node", "agent_node", "control_node"), ("model", "track")),
}
# Launch arguments -> the node parameters they set, per node (as the launch files pass them).
ARGUMENT_PARAMETERS = {
    "simulation": {"sim_node": {"model": "model_path", "track": "track"}, "agent_node": {"model": "model_path"},
                   "control_node": {"model": "model_path"}},
    "training": {"sim_node": {"track": "track"}, "agent_node": {"model": "model_path", "config": "training_config"},
                 "control_node": {}},
    "evaluation": {"sim_node": {"model": "model_path", "track": "track"}, "agent_node": {"model": "model_path"},
                   "control_node": {"model": "model_path"}},
}


def node_classes() -> dict:
    from deepracer_agent.nodes.agent_node import AgentNode
    from deepracer_control.nodes.control_node import ControlNode
    from deepracer_sim.nodes.sim_node import SimNode

    return {"sim_node": SimNode, "agent_node": AgentNode, "control_node": ControlNode}


def config_dirs() -> list[Path]:
    """Where config files are looked for: the installed share/deepracer_bringup/config, then the
    repository's config/ (running from a source tree)."""
    found = []
    try:
        from ament_index_python.packages import PackageNotFoundError, get_package_share_directory

        try:
            found.append(Path(get_package_share_directory("deepracer_bringup")) / "config")
        except PackageNotFoundError:
            pass
    except ImportError:
        pass
    found.append(Path(__file__).resolve().parents[3] / "config")
    return found


def config_file(name: str) -> Path:
    for folder in config_dirs():
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"{name} is in none of {', '.join(str(f) for f in config_dirs())}")


def parameter_file(scenario: str, override: str | None) -> Path:
    if not override:
        return config_file(SCENARIOS[scenario][0])
    path = Path(override)
    if not path.is_file():
        raise FileNotFoundError(f"parameter file {path} does not exist")
    return path


def run(args) -> int:
    import rclpy
    from rclpy.executors import ExternalShutdownException
    from rclpy.parameter import Parameter

    from deepracer_common.ros.node_support import make_executor, spin_until_shutdown

    scenario = args.scenario
    params_file = parameter_file(scenario, args.params)
    values = {"model": args.model, "track": args.track, "config": args.config}
    if scenario in ("simulation", "evaluation") and not args.model:
        raise ValueError(f"the {scenario} scenario needs --model (a model folder)")
    if scenario == "training" and not args.model:
        raise ValueError("the training scenario needs --model (the model folder to create)")
    for name in ("model", "config"):
        if values[name]:
            values[name] = str(Path(values[name]).expanduser().resolve())

    rclpy.init()
    nodes = []
    rviz = None
    try:
        classes = node_classes()
        for executable in SCENARIOS[scenario][1]:
            overrides = [Parameter(parameter, Parameter.Type.STRING, values[argument])
                         for argument, parameter in ARGUMENT_PARAMETERS[scenario][executable].items()
                         if values.get(argument)]
            nodes.append(classes[executable](cli_args=["--ros-args", "--params-file", str(params_file)],
                                             parameter_overrides=overrides))
        if scenario == "simulation" and args.rviz:
            rviz = start_rviz()
        executor = make_executor()
        for node in nodes:
            executor.add_node(node)
        print(f"deepracer sim up: {scenario} with {', '.join(n.get_name() for n in nodes)} "
              f"({params_file}); Ctrl-C stops", flush=True)
        spin_until_shutdown(executor, deadline=time.monotonic() + args.seconds if args.seconds else None)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        for node in nodes:
            close = getattr(node, "close", None)
            if close is not None:
                close()
            node.destroy_node()
        rclpy.try_shutdown()
        if rviz is not None:
            rviz.terminate()
    return max([int(getattr(node, "exit_code", 0) or 0) for node in nodes] or [0])


def start_rviz():
    rviz2 = shutil.which("rviz2")
    if rviz2 is None:
        print("deepracer sim up: rviz2 is not installed; run RViz elsewhere on ROS_DOMAIN_ID="
              f"{os.environ.get('ROS_DOMAIN_ID', '0')} with {config_file('deepracer.rviz')}", flush=True)
        return None
    return subprocess.Popen([rviz2, "-d", str(config_file("deepracer.rviz")), "--ros-args", "-p",
                             "use_sim_time:=true"])


def register(subparsers) -> None:
    sim = subparsers.add_parser("sim", help="run the ROS 2 nodes (simulator, agent, control) without ros2 launch")
    actions = sim.add_subparsers(dest="sim_command", metavar="ACTION")
    up = actions.add_parser("up", help="start a scenario's nodes in this process (Ctrl-C stops)",
                            description=__doc__.split("\n\n")[0])
    up.add_argument("--scenario", choices=sorted(SCENARIOS), default="simulation",
                    help="which launch file to mirror (default: simulation)")
    up.add_argument("--model", help="model folder (simulation/evaluation: to drive; training: to create)")
    up.add_argument("--track", help="shipped track name or route .npy (default: the parameter file's)")
    up.add_argument("--config", help="training: the `deepracer train` config file")
    up.add_argument("--params", help="another parameter file instead of config/<scenario>.yaml")
    up.add_argument("--rviz", action="store_true", help="simulation: also start rviz2 when installed")
    up.add_argument("--seconds", type=float, default=None, help="stop after this many seconds")
    up.set_defaults(handler=run)
    sim.set_defaults(handler=lambda args: sim.print_help() or 2)
