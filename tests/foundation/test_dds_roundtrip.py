"""A deepracer_interfaces message crosses real DDS between two separate processes, intact."""
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

PEERS = Path(__file__).with_name("dds_peers.py")


def test_simstep_and_servo_cross_dds_between_processes_intact(tmp_path):
    sys.path.insert(0, str(PEERS.parent))
    from dds_peers import as_dict, known_message
    from deepracer_interfaces.msg import ServoCtrlMsg

    env = dict(os.environ, ROS_DOMAIN_ID=str(100 + os.getpid() % 100))
    out = tmp_path / "received.json"
    subscriber = subprocess.Popen([sys.executable, str(PEERS), "subscribe", str(out)], env=env)
    publisher = subprocess.Popen([sys.executable, str(PEERS), "publish"], env=env)
    try:
        subscriber.wait(timeout=90)
    finally:
        publisher.send_signal(signal.SIGINT)
        try:
            publisher.wait(timeout=10)
        except subprocess.TimeoutExpired:
            publisher.kill()
        if subscriber.poll() is None:
            subscriber.kill()

    assert out.exists(), "the subscriber process received nothing within 60 s"
    received = json.loads(out.read_text())
    expected = json.loads(json.dumps(as_dict(known_message(), ServoCtrlMsg(angle=-0.25, throttle=0.75))))
    for key in ("step", "image", "x", "heading", "progress", "closest_waypoints", "is_left_of_center", "status", "episode"):
        assert received[key] == expected[key], key
    # lidar is float32 on the wire: compare it at that precision.
    assert len(received["lidar"]) == 64
    assert all(abs(a - b) < 1e-6 for a, b in zip(received["lidar"], expected["lidar"]))
    assert received["servo"] == [-0.25, 0.75]
