"""Topic names of the Gazebo path, in one place for the car model, config/gz_bridge.yaml,
gazebo_bridge_node and the tests.

Gazebo's own topics (gz transport) are fixed in the car model. ros_gz_bridge brings them to
ROS under /gazebo/..., where gazebo_bridge_node turns them into exactly what sim_node
publishes (/camera/image_raw 160x120 mono8, /scan, /deepracer/...), so agent_node and
control_node cannot tell the two simulators apart. Odometry, TF and the clock need no
conversion and are bridged straight to their final names.
"""
from __future__ import annotations

# gz transport (set in the car model and world; see car.py).
GZ_STEERING = "/deepracer/cmd/steering"              # gz.msgs.Double, rad, + = left, both hinges
GZ_WHEEL_VELOCITY = "/deepracer/cmd/wheel_velocity"  # gz.msgs.Double, rad/s, all four wheels
GZ_ODOMETRY = "/deepracer/odometry"
GZ_TF = "/deepracer/tf"
GZ_CAMERA = "/deepracer/camera/image"
GZ_STEREO = ("/deepracer/camera/left/image", "/deepracer/camera/right/image")
GZ_SCAN = "/deepracer/scan"
GZ_CLOCK = "/clock"


def gz_camera_info(image_topic: str) -> str:
    """gz-sensors publishes a camera's CameraInfo next to its image topic."""
    return image_topic.rsplit("/", 1)[0] + "/camera_info"


def gz_set_pose_service(world: str) -> str:
    return f"/world/{world}/set_pose"


# ROS side of the bridge: raw Gazebo data that gazebo_bridge_node converts.
ROS_GZ_CAMERA = "/gazebo/camera/image_raw"               # 640x480 rgb8
ROS_GZ_CAMERA_INFO = "/gazebo/camera/camera_info"
ROS_GZ_STEREO = ("/gazebo/stereo/left/image_raw", "/gazebo/stereo/right/image_raw")
ROS_GZ_SCAN = "/gazebo/scan"                              # frame id from Gazebo, re-stamped by the node
ROS_GZ_STEERING = "/gazebo/cmd/steering"                  # std_msgs/Float64
ROS_GZ_WHEEL_VELOCITY = "/gazebo/cmd/wheel_velocity"      # std_msgs/Float64
# Bridged straight through.
ROS_ODOM = "/odom"
ROS_TF = "/tf"
ROS_CLOCK = "/clock"

# Name the car gets when launch spawns it (set_pose addresses it by this name).
CAR_ENTITY = "deepracer"
