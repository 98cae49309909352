"""The two ends of the DDS round-trip test, each run as its own process.

    python dds_peers.py subscribe OUT.json   waits for one SimStep and writes what it received
    python dds_peers.py publish              publishes a known SimStep until interrupted
"""
import json
import sys
import time

import rclpy
from deepracer_interfaces.msg import ServoCtrlMsg, SimStep
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image

TOPIC = "/deepracer_test/sim_step"
SERVO_TOPIC = "/deepracer_test/servo"
QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)


def known_message() -> SimStep:
    message = SimStep()
    message.step = 4242
    image = Image(height=120, width=160, encoding="mono8", step=160)
    image.data = bytes((row * 7 + col) % 256 for row in range(120) for col in range(160))
    message.images = [image]
    message.lidar = [0.15 + 0.01 * i for i in range(64)]
    message.params.x = 3.1999
    message.params.heading = -179.5
    message.params.progress = 0.7915
    message.params.closest_waypoints = [117, 118]
    message.params.is_left_of_center = True
    message.status.status = "in_progress"
    message.status.episode = 7
    return message


def as_dict(step: SimStep, servo: ServoCtrlMsg) -> dict:
    image = step.images[0]
    return {
        "step": step.step,
        "image": [image.height, image.width, image.encoding, image.step, list(bytes(image.data))],
        "lidar": [float(v) for v in step.lidar],
        "x": step.params.x,
        "heading": step.params.heading,
        "progress": step.params.progress,
        "closest_waypoints": [int(v) for v in step.params.closest_waypoints],
        "is_left_of_center": step.params.is_left_of_center,
        "status": step.status.status,
        "episode": step.status.episode,
        "servo": [servo.angle, servo.throttle],
    }


def subscribe(out_path: str) -> None:
    rclpy.init()
    node = rclpy.create_node("dds_test_subscriber")
    received = {}
    node.create_subscription(SimStep, TOPIC, lambda m: received.setdefault("step", m), QOS)
    node.create_subscription(ServoCtrlMsg, SERVO_TOPIC, lambda m: received.setdefault("servo", m), QOS)
    deadline = time.monotonic() + 60
    while len(received) < 2 and time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.1)
    if len(received) == 2:
        with open(out_path, "w") as stream:
            json.dump(as_dict(received["step"], received["servo"]), stream)
    node.destroy_node()
    rclpy.shutdown()


def publish() -> None:
    rclpy.init()
    node = rclpy.create_node("dds_test_publisher")
    step_publisher = node.create_publisher(SimStep, TOPIC, QOS)
    servo_publisher = node.create_publisher(ServoCtrlMsg, SERVO_TOPIC, QOS)
    message = known_message()
    servo = ServoCtrlMsg(angle=-0.25, throttle=0.75)
    try:
        while rclpy.ok():
            step_publisher.publish(message)
            servo_publisher.publish(servo)
            rclpy.spin_once(node, timeout_sec=0.05)
    except KeyboardInterrupt:
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    if sys.argv[1] == "subscribe":
        subscribe(sys.argv[2])
    else:
        publish()
