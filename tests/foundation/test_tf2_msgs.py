"""Our tf2_msgs (src/tf2_msgs, built by make setup only on a PyPI-wheels install, whose wheels lack it) is
ROS 2's tf2_msgs: the same interfaces, the same definitions, the same type hashes, so a system RViz or tf2
listener on the same ROS_DOMAIN_ID takes our /tf and /tf_static.

The reference is ROS 2's own package, unmodified, in ../shared/vendor/ros2-geometry2/tf2_msgs; its type
descriptions are generated here with the rosidl tools its own build runs (rosidl_adapter, then
rosidl_generator_type_description), against this install's builtin_interfaces and geometry_msgs.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

pytest.importorskip("rclpy", reason="ROS 2 (rclpy) is not installed: run `make setup` and source scripts/env.sh")
pytest.importorskip("tf2_msgs.msg", reason="tf2_msgs is not built or not sourced: run `make setup` and source scripts/env.sh")

REPO = Path(__file__).resolve().parents[2]
OURS = REPO / "src" / "tf2_msgs"
UPSTREAM = Path(os.environ.get("DEEPRACER_SHARED_VENDOR", REPO.parent / "shared" / "vendor")) / "ros2-geometry2" / "tf2_msgs"
KINDS = (".msg", ".srv", ".action")


def interface_files(package: Path) -> list[str]:
    return sorted(p.relative_to(package).as_posix() for p in package.glob("*/*") if p.suffix in KINDS)


@pytest.fixture(scope="module")
def upstream() -> Path:
    if not (UPSTREAM / "package.xml").is_file():
        pytest.skip(f"ROS 2's tf2_msgs is not at {UPSTREAM} (../shared/vendor), so there is nothing to compare with")
    return UPSTREAM


def generated_interfaces(cmake_lists: Path) -> tuple[list[str], list[str]]:
    """(interface files, DEPENDENCIES) of the rosidl_generate_interfaces call of a CMakeLists.txt."""
    call = re.search(r"rosidl_generate_interfaces\((.*?)\)", cmake_lists.read_text(), re.S).group(1)
    words = call.split()
    files = sorted(word.strip('"') for word in words if word.strip('"').endswith(KINDS))
    dependencies = []
    if "DEPENDENCIES" in words:
        for word in words[words.index("DEPENDENCIES") + 1:]:
            if word.isupper():
                break
            dependencies.append(word)
    return files, sorted(dependencies)


def package_dependencies(package: Path) -> dict[str, list[str]]:
    root = ElementTree.parse(package / "package.xml").getroot()
    kinds = ("buildtool_depend", "depend", "build_depend", "exec_depend", "member_of_group")
    return {kind: sorted(element.text.strip() for element in root.iter(kind)) for kind in kinds}


def test_same_interfaces_and_dependencies(upstream):
    assert interface_files(OURS) == interface_files(upstream)
    assert generated_interfaces(OURS / "CMakeLists.txt") == generated_interfaces(upstream / "CMakeLists.txt")
    assert package_dependencies(OURS) == package_dependencies(upstream)


@pytest.mark.parametrize("relative", interface_files(OURS))
def test_definition_means_what_upstream_means(upstream, relative):
    """Field for field and constant for constant, as ROS's own parser reads them (comments aside)."""
    from rosidl_adapter import parser

    def parse(path: Path):
        name, text = path.stem, path.read_text()
        if path.suffix == ".msg":
            spec = parser.parse_message_string("tf2_msgs", name, text)
            return [spec], [str(spec)]
        if path.suffix == ".srv":
            spec = parser.parse_service_string("tf2_msgs", name, text)
            parts = [spec.request, spec.response]
        else:
            spec = parser.parse_action_string("tf2_msgs", name, text)
            parts = [spec.goal, spec.result, spec.feedback]
        return parts, [str(part) for part in parts]

    ours, ours_text = parse(OURS / relative)
    theirs, theirs_text = parse(upstream / relative)
    assert ours_text == theirs_text
    assert ours == theirs
    for mine, upstream_part in zip(ours, theirs):
        assert [(c.type, c.name, c.value) for c in mine.constants] == \
            [(c.type, c.name, c.value) for c in upstream_part.constants]
        assert [(str(f.type), f.name, f.default_value) for f in mine.fields] == \
            [(str(f.type), f.name, f.default_value) for f in upstream_part.fields]


def upstream_type_descriptions(upstream: Path, output: Path) -> dict[str, dict]:
    """The type description JSON of every upstream interface, made as its build makes them."""
    from ament_index_python.packages import get_package_share_directory, get_packages_with_prefixes
    from rosidl_adapter import convert_to_idl
    from rosidl_generator_type_description import generate_type_hash

    idl_dir = output / "idl"
    idl_tuples = []
    for relative in interface_files(upstream):
        idl = convert_to_idl(upstream, "tf2_msgs", Path(relative), idl_dir)
        idl_tuples.append(f"{idl_dir}:{idl.relative_to(idl_dir).as_posix()}")
    # Every other interface package of this install, for the types tf2_msgs refers to (never the
    # installed tf2_msgs itself, which is what is being checked).
    include_paths = [f"{name}:{get_package_share_directory(name)}"
                     for name in sorted(get_packages_with_prefixes()) if name != "tf2_msgs"]
    arguments = output / "arguments.json"
    arguments.write_text(json.dumps({"package_name": "tf2_msgs", "output_dir": str(output / "json"),
                                     "idl_tuples": idl_tuples, "include_paths": include_paths}))
    generated = {path.relative_to(output / "json").with_suffix("").as_posix(): path
                 for path in map(Path, generate_type_hash(str(arguments)))}
    # One description per interface file is installed; each lists the hashes of every type it refers
    # to (an action's goal, result, feedback and services too).
    return {name: json.loads(generated[name].read_text())
            for name in (Path(relative).with_suffix("").as_posix() for relative in interface_files(upstream))}


@pytest.fixture(scope="module")
def upstream_descriptions(upstream, tmp_path_factory):
    return upstream_type_descriptions(upstream, tmp_path_factory.mktemp("upstream_tf2_msgs"))


def test_type_descriptions_and_hashes_equal_upstream_build(upstream_descriptions):
    from ament_index_python.packages import get_package_share_directory

    installed = Path(get_package_share_directory("tf2_msgs"))
    assert sorted(upstream_descriptions) == ["action/LookupTransform", "msg/TF2Error", "msg/TFMessage", "srv/FrameGraph"]
    for name, theirs in upstream_descriptions.items():
        ours = json.loads((installed / f"{name}.json").read_text())
        assert ours["type_description_msg"] == theirs["type_description_msg"], name
        assert ours["type_hashes"] == theirs["type_hashes"], name
    assert len(upstream_descriptions["action/LookupTransform"]["type_hashes"]) > 10  # the sub-types are covered
    tf_hash = upstream_descriptions["msg/TFMessage"]["type_hashes"][0]
    assert tf_hash["type_name"] == "tf2_msgs/msg/TFMessage"
    assert tf_hash["hash_string"].startswith("RIHS01_")


PUBLISHER = """
import signal, sys, rclpy
from geometry_msgs.msg import TransformStamped
from tf2_msgs.msg import TFMessage
rclpy.init()
node = rclpy.create_node("tf_publisher")
publisher = node.create_publisher(TFMessage, "/tf", 10)
transform = TransformStamped()
transform.header.frame_id, transform.child_frame_id = "odom", "base_link"
transform.transform.translation.x, transform.transform.rotation.w = 1.5, 1.0
node.create_timer(0.05, lambda: publisher.publish(TFMessage(transforms=[transform])))
signal.signal(signal.SIGTERM, lambda *_: rclpy.try_shutdown())
try:
    rclpy.spin(node)
except Exception:
    pass
"""


def test_tf_publisher_announces_the_upstream_type_hash_over_dds(upstream_descriptions):
    """What a tf2 listener or RViz in another process sees of our /tf: ROS 2's TFMessage, by type hash."""
    import rclpy
    from rclpy.context import Context
    from rclpy.executors import SingleThreadedExecutor
    from tf2_msgs.msg import TFMessage

    expected = upstream_descriptions["msg/TFMessage"]["type_hashes"][0]["hash_string"]
    domain_id = 100 + (os.getpid() + 37) % 100
    env = dict(os.environ, ROS_DOMAIN_ID=str(domain_id), ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST")
    env.pop("ROS_LOCALHOST_ONLY", None)
    publisher = subprocess.Popen([sys.executable, "-c", PUBLISHER], env=env)
    context = Context()
    rclpy.init(context=context, domain_id=domain_id)
    node = rclpy.create_node("tf_listener", context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    received = []
    node.create_subscription(TFMessage, "/tf", received.append, 10)
    try:
        deadline = time.monotonic() + 60
        while not received and time.monotonic() < deadline and publisher.poll() is None:
            executor.spin_once(timeout_sec=0.1)
        assert received, "no TFMessage from the publisher process within 60 s"
        infos = node.get_publishers_info_by_topic("/tf")
        assert [info.topic_type for info in infos] == ["tf2_msgs/msg/TFMessage"]
        assert str(infos[0].topic_type_hash) == expected
        transform = received[0].transforms[0]
        assert (transform.header.frame_id, transform.child_frame_id) == ("odom", "base_link")
        assert transform.transform.translation.x == 1.5
    finally:
        publisher.send_signal(signal.SIGTERM)
        try:
            publisher.wait(timeout=10)
        except subprocess.TimeoutExpired:
            publisher.kill()
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown(context=context)
