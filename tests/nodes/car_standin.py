"""A stand-in for the physical car's interface package and nodes, to prove our nodes talk to the stock car.

`build_standins(tmp)` generates and builds (with colcon) ament_cmake packages:
`deepracer_interfaces_pkg` holding the AWS original definitions of ServoCtrlMsg
and CameraMsg (docs/car-interfaces.md#messages), and `tf2_msgs` with TFMessage; it returns the
environment that makes them importable. Run as a script, this module plays one car node:

  python car_standin.py servo    the stock servo_node's subscription: /ctrl_pkg/servo_msg,
                                 KeepLast 1 best effort; prints each message as a JSON line
  python car_standin.py tf       a TF listener printing /tf_static and /tf as JSON lines
  python car_standin.py camera   the stock camera_node: CameraMsg with one 160x120 bgr8 image on
                                 /camera_pkg/video_mjpeg at 15 Hz, depth 1 reliable
"""
from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE = "deepracer_interfaces_pkg"
# package -> (message files, the packages they depend on).
STANDINS = {
    # Field for field the AWS original (aws-deepracer-interfaces-pkg, unchanged since 2021).
    PACKAGE: ({"ServoCtrlMsg.msg": "float32 angle\nfloat32 throttle\n",
               "CameraMsg.msg": "sensor_msgs/Image[] images\n"}, ["sensor_msgs"]),
    # tf2_msgs/TFMessage as every ROS 2 distribution defines it; the PyPI ROS wheels lack tf2_msgs, so
    # /tf can only be tested here against this same definition.
    "tf2_msgs": ({"TFMessage.msg": "geometry_msgs/TransformStamped[] transforms\n"}, ["geometry_msgs"]),
}


def cmake_lists(package: str, messages: dict, dependencies: list[str]) -> str:
    finds = "\n".join(f"find_package({d} REQUIRED)" for d in dependencies)
    files = " ".join(f'"msg/{name}"' for name in messages)
    return f"""cmake_minimum_required(VERSION 3.5)
project({package})
find_package(ament_cmake REQUIRED)
find_package(rosidl_default_generators REQUIRED)
{finds}
rosidl_generate_interfaces(${{PROJECT_NAME}} {files} DEPENDENCIES {' '.join(dependencies)})
ament_export_dependencies(rosidl_default_runtime)
ament_package()
"""


def package_xml(package: str, dependencies: list[str]) -> str:
    depends = "\n".join(f"  <depend>{d}</depend>" for d in dependencies)
    return f"""<?xml version="1.0"?>
<package format="3">
  <name>{package}</name>
  <version>0.0.1</version>
  <description>Test stand-in with the definitions of {package}.</description>
  <maintainer email="test@example.com">test</maintainer>
  <license>Apache-2.0</license>
  <buildtool_depend>ament_cmake</buildtool_depend>
  <buildtool_depend>rosidl_default_generators</buildtool_depend>
{depends}
  <exec_depend>rosidl_default_runtime</exec_depend>
  <member_of_group>rosidl_interface_packages</member_of_group>
  <export><build_type>ament_cmake</build_type></export>
</package>
"""


def colcon_command() -> list[str]:
    beside_python = Path(sys.executable).parent / "colcon"
    found = str(beside_python) if beside_python.exists() else shutil.which("colcon")
    if not found:
        raise RuntimeError("colcon is not installed in this environment (make setup installs it)")
    return [found]


def build_standins(workspace: Path) -> dict[str, str]:
    """Build the stand-in packages under `workspace` (one colcon run); return env additions that make them
    importable."""
    for package, (messages, dependencies) in STANDINS.items():
        source = workspace / "src" / package
        (source / "msg").mkdir(parents=True, exist_ok=True)
        for name, definition in messages.items():
            (source / "msg" / name).write_text(definition)
        (source / "CMakeLists.txt").write_text(cmake_lists(package, messages, dependencies))
        (source / "package.xml").write_text(package_xml(package, dependencies))
    install = workspace / "install"
    log = workspace / "colcon.log"
    env = dict(os.environ)
    env["COLCON_LOG_PATH"] = str(workspace / "log")
    with open(log, "w") as stream:
        result = subprocess.run(
            [*colcon_command(), "build", "--base-paths", str(workspace / "src"), "--build-base",
             str(workspace / "build"), "--install-base", str(install), "--merge-install",
             "--cmake-args", "-DBUILD_TESTING=OFF", f"-DPython3_EXECUTABLE={sys.executable}"],
            cwd=workspace, stdout=stream, stderr=subprocess.STDOUT, env=env, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"building the stand-in packages failed:\n{log.read_text()[-6000:]}")
    site = glob.glob(str(install / "lib" / "python3*" / "site-packages"))
    if not site:
        raise RuntimeError(f"the stand-in packages installed no Python module:\n{log.read_text()[-3000:]}")

    def prepend(name: str, value: str) -> str:
        return value + (os.pathsep + os.environ[name] if os.environ.get(name) else "")

    return {
        "PYTHONPATH": prepend("PYTHONPATH", site[0]),
        "LD_LIBRARY_PATH": prepend("LD_LIBRARY_PATH", str(install / "lib")),
        "AMENT_PREFIX_PATH": prepend("AMENT_PREFIX_PATH", str(install)),
    }


def run_servo() -> None:
    import rclpy
    from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy

    from deepracer_interfaces_pkg.msg import ServoCtrlMsg

    # Only the car's exact definition will do: the same fields mean the same DDS type hash.
    assert ServoCtrlMsg.get_fields_and_field_types() == {"angle": "float", "throttle": "float"}
    rclpy.init()
    node = rclpy.create_node("servo_node", namespace="servo_pkg")
    qos = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1, reliability=ReliabilityPolicy.BEST_EFFORT)

    def on_servo(msg):
        print(json.dumps({"type": type(msg).__module__ + "." + type(msg).__name__,
                          "angle": msg.angle, "throttle": msg.throttle}), flush=True)

    node.create_subscription(ServoCtrlMsg, "/ctrl_pkg/servo_msg", on_servo, qos)
    print("servo stand-in ready", flush=True)
    spin(node)


def run_camera() -> None:
    import rclpy
    from sensor_msgs.msg import Image

    from deepracer_interfaces_pkg.msg import CameraMsg

    rclpy.init()
    node = rclpy.create_node("camera_node", namespace="camera_pkg")
    publisher = node.create_publisher(CameraMsg, "/camera_pkg/video_mjpeg", 1)
    count = [0]

    def publish():
        image = Image(height=120, width=160, encoding="bgr8", step=160 * 3)
        # A dark frame with a bright band in the lower half, like a track edge; changes every frame.
        pixels = bytearray(120 * 160 * 3)
        for row in range(60 + count[0] % 30, 120):
            pixels[row * 480:(row + 1) * 480] = b"\xc8" * 480
        image.data = bytes(pixels)
        publisher.publish(CameraMsg(images=[image]))  # the car leaves the header empty
        count[0] += 1

    node.create_timer(1.0 / 15.0, publish)
    print("camera stand-in ready", flush=True)
    spin(node)


def run_tf() -> None:
    """Print every transform on /tf_static and /tf as a JSON line (what RViz's TF display would use)."""
    import rclpy
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

    from tf2_msgs.msg import TFMessage

    rclpy.init()
    node = rclpy.create_node("tf_listener")

    def printer(topic):
        def on_message(msg):
            for t in msg.transforms:
                r, q = t.transform.translation, t.transform.rotation
                print(json.dumps({"topic": topic, "parent": t.header.frame_id, "child": t.child_frame_id,
                                  "xyz": [r.x, r.y, r.z], "xyzw": [q.x, q.y, q.z, q.w],
                                  "stamp": t.header.stamp.sec + t.header.stamp.nanosec * 1e-9}), flush=True)
        return on_message

    static = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL)
    node.create_subscription(TFMessage, "/tf_static", printer("/tf_static"), static)
    node.create_subscription(TFMessage, "/tf", printer("/tf"), 100)
    print("tf listener ready", flush=True)
    spin(node)


def spin(node) -> None:
    import signal

    import rclpy

    signal.signal(signal.SIGTERM, lambda *_: rclpy.try_shutdown())
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, rclpy.executors.ExternalShutdownException):
        pass
    finally:
        rclpy.try_shutdown()


if __name__ == "__main__":
    {"servo": run_servo, "camera": run_camera, "tf": run_tf}[sys.argv[1]]()
