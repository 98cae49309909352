"""Every launch file names only executables, parameters and files that exist.

launch and launch_ros cannot be installed here, so the launch files are read with ast: each
Node(...) must name an executable of its package's setup.py entry points, every parameter it
sets (in the launch file or in the parameter YAML it loads) must be declared by that node, and
every file it loads must be in the repository and installed by setup.py. `deepracer sim up`
must start the same nodes with the same files.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from deepracer_agent.nodes import agent_node
from deepracer_bringup import sim_up as bringup
from deepracer_control.nodes import control_node
from deepracer_sim.nodes import sim_node

REPO = Path(__file__).resolve().parents[2]
LAUNCH_FILES = sorted(p for p in (REPO / "launch").glob("*.launch.py") if p.name != "gazebo.launch.py")
DECLARED = {"sim_node": sim_node.PARAMETERS, "agent_node": agent_node.PARAMETERS,
            "control_node": control_node.PARAMETERS}
# Parameters rclpy declares on every node.
COMMON = {"use_sim_time"}
# Executables from outside this repository that a launch file may start.
EXTERNAL = {("rviz2", "rviz2")}


def entry_points(package: str) -> dict[str, str]:
    tree = ast.parse((REPO / "src" / package / "setup.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and key.value == "console_scripts":
                    scripts = [ast.literal_eval(item) for item in value.elts]
                    return dict(s.replace(" ", "").split("=", 1) for s in scripts)
    return {}


def literal(node):
    return node.value if isinstance(node, ast.Constant) else None


def launch_config_name(node) -> str | None:
    """'x' for LaunchConfiguration('x'), also inside ParameterValue(LaunchConfiguration('x'), ...)."""
    if isinstance(node, ast.Call):
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        if name == "LaunchConfiguration":
            return literal(node.args[0])
        if name == "ParameterValue":
            return launch_config_name(node.args[0])
    return None


class LaunchFile:
    def __init__(self, path: Path):
        self.path = path
        self.tree = ast.parse(path.read_text(), filename=str(path))
        self.assignments = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                self.assignments[node.targets[0].id] = node.value
        self.arguments = {literal(call.args[0]) for call in self.calls("DeclareLaunchArgument")}

    def calls(self, name: str):
        return [n for n in ast.walk(self.tree) if isinstance(n, ast.Call)
                and getattr(n.func, "id", getattr(n.func, "attr", None)) == name]

    def resolve(self, node):
        return self.assignments.get(node.id, node) if isinstance(node, ast.Name) else node

    def share_file(self, node) -> tuple[str, str] | None:
        """(folder, file) of os.path.join(share, 'config', 'x.yaml')."""
        node = self.resolve(node)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "join":
            parts = [literal(a) for a in node.args[1:]]
            if len(parts) == 2 and all(parts):
                return parts[0], parts[1]
        return None

    def nodes(self):
        for call in self.calls("Node"):
            keywords = {k.arg: k.value for k in call.keywords}
            yield call, {
                "package": literal(keywords["package"]),
                "executable": literal(keywords["executable"]),
                "name": literal(keywords.get("name")) if "name" in keywords else None,
                "parameters": list(self.resolve(keywords["parameters"]).elts) if "parameters" in keywords else [],
                "arguments": [self.resolve(a) for a in self.resolve(keywords["arguments"]).elts]
                if "arguments" in keywords else [],
            }


@pytest.mark.parametrize("path", LAUNCH_FILES, ids=lambda p: p.name)
def test_launch_file_names_only_what_exists(path):
    launch = LaunchFile(path)
    assert any(isinstance(n, ast.FunctionDef) and n.name == "generate_launch_description" for n in launch.tree.body)
    nodes = list(launch.nodes())
    assert nodes, f"{path.name} starts no node"
    for call, node in nodes:
        where = f"{path.name}:{call.lineno}"
        if (node["package"], node["executable"]) in EXTERNAL:
            for argument in node["arguments"]:
                found = launch.share_file(argument)
                if found:
                    assert (REPO / found[0] / found[1]).is_file(), f"{where}: {found} is not in the repository"
            continue
        scripts = entry_points(node["package"])
        assert node["executable"] in scripts, f"{where}: {node['package']} has no executable {node['executable']}"
        module = scripts[node["executable"]].split(":")[0]
        assert module.rsplit(".", 1)[-1] == node["executable"]
        assert node["name"] == node["executable"], f"{where}: the parameter files are keyed by the node name"
        declared = set(DECLARED[node["executable"]]) | COMMON
        for entry in node["parameters"]:
            if isinstance(entry, ast.Dict):
                for key, value in zip(entry.keys, entry.values):
                    assert literal(key) in declared, f"{where}: {node['executable']} declares no {literal(key)!r}"
                    argument = launch_config_name(launch.resolve(value))
                    if argument is not None:
                        assert argument in launch.arguments, f"{where}: launch argument {argument!r} is not declared"
                continue
            found = launch.share_file(entry)
            assert found and found[0] == "config", f"{where}: parameters must come from config/*.yaml"
            yaml_path = REPO / "config" / found[1]
            assert yaml_path.is_file(), f"{where}: {yaml_path} does not exist"
            sections = yaml.safe_load(yaml_path.read_text())
            assert node["executable"] in sections, f"{yaml_path.name} has no section for {node['executable']}"
            for section, content in sections.items():
                keys = set(content["ros__parameters"])
                allowed = COMMON if section == "/**" else set(DECLARED[section]) | COMMON
                assert keys <= allowed, f"{yaml_path.name}: {section} does not declare {sorted(keys - allowed)}"


def test_setup_installs_launch_and_config_into_the_share_folder():
    text = (REPO / "src" / "deepracer_agent" / "setup.py").read_text()
    assert 'glob(os.path.join(REPO, "launch", "*.launch.py"))' in text
    assert 'glob(os.path.join(REPO, "config", "*"))' in text
    assert (REPO / "config" / "deepracer.rviz").is_file()


def test_rviz_config_shows_the_topics_the_simulator_publishes():
    from deepracer_common.ros import names

    view = yaml.safe_load((REPO / "config" / "deepracer.rviz").read_text())
    manager = view["Visualization Manager"]
    assert manager["Global Options"]["Fixed Frame"] == names.MAP_FRAME
    topics = {d["Class"].split("/")[-1]: d["Topic"] for d in manager["Displays"] if "Topic" in d}
    assert topics["MarkerArray"]["Value"] == names.MARKERS_TOPIC
    assert topics["Image"]["Value"] == names.CAMERA_TOPIC and topics["Image"]["Reliability Policy"] == "Best Effort"
    assert topics["LaserScan"]["Value"] == names.SCAN_TOPIC and topics["LaserScan"]["Reliability Policy"] == "Best Effort"
    assert topics["Odometry"]["Value"] == names.ODOM_TOPIC
    assert any(d["Class"] == "rviz_default_plugins/TF" for d in manager["Displays"])


@pytest.mark.parametrize("scenario", sorted(bringup.SCENARIOS))
def test_sim_up_starts_what_the_launch_file_starts(scenario):
    launch = LaunchFile(REPO / "launch" / f"{scenario}.launch.py")
    yaml_name, executables, arguments = bringup.SCENARIOS[scenario]
    nodes = [n for _, n in launch.nodes() if (n["package"], n["executable"]) not in EXTERNAL]
    assert tuple(n["executable"] for n in nodes) == executables
    assert set(arguments) == launch.arguments
    for node in nodes:
        files = {launch.share_file(e) for e in node["parameters"] if not isinstance(e, ast.Dict)}
        assert files == {("config", yaml_name)}
        mapping = {}
        for entry in node["parameters"]:
            if isinstance(entry, ast.Dict):
                for key, value in zip(entry.keys, entry.values):
                    mapping[launch_config_name(launch.resolve(value))] = literal(key)
        assert mapping == bringup.ARGUMENT_PARAMETERS[scenario][node["executable"]], node["executable"]


def test_car_launch_uses_the_cars_topics_and_types():
    sections = yaml.safe_load((REPO / "config" / "car.yaml").read_text())
    agent = sections["agent_node"]["ros__parameters"]
    control = sections["control_node"]["ros__parameters"]
    assert agent["camera_topic"] == "/camera_pkg/video_mjpeg"
    assert agent["camera_type"] == "deepracer_interfaces_pkg/msg/CameraMsg"
    assert control["output_type"] == "deepracer_interfaces_pkg/msg/ServoCtrlMsg"
    assert control["output_topic"] == "/ctrl_pkg/servo_msg"
    launch = LaunchFile(REPO / "launch" / "car.launch.py")
    assert [n["executable"] for _, n in launch.nodes()] == ["agent_node", "control_node"]
