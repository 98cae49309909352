"""Physical car: agent_node and control_node beside the car's stock nodes (camera_node, servo_node).

    ros2 launch deepracer_bringup car.launch.py model:=/opt/aws/deepracer/artifacts/<model_folder>

agent_node reads the car's camera topic /camera_pkg/video_mjpeg (deepracer_interfaces_pkg/msg/CameraMsg,
bgr8) and, for LIDAR models, /rplidar_ros/scan; control_node publishes
deepracer_interfaces_pkg/msg/ServoCtrlMsg on /ctrl_pkg/servo_msg for the stock servo_node. Both
types come from the car's own deepracer_interfaces_pkg, imported by name (config/car.yaml).

Stop the car's own inference path first (the console's "stop vehicle"), so two nodes never
drive the servo. The car starts stopped: call /deepracer_control/enable (std_srvs/SetBool true)
and set the speed with /deepracer_control/set_throttle_scale.
"""
import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue


def generate_launch_description():
    share = get_package_share_directory("deepracer_bringup")
    params = os.path.join(share, "config", "car.yaml")
    model = ParameterValue(LaunchConfiguration("model"), value_type=str)
    return LaunchDescription([
        DeclareLaunchArgument("model", description="Model folder on the car (model_metadata.json + model.onnx)"),
        Node(package="deepracer_agent", executable="agent_node", name="agent_node", output="screen",
             parameters=[params, {"model_path": model}]),
        Node(package="deepracer_control", executable="control_node", name="control_node", output="screen",
             parameters=[params, {"model_path": model}]),
    ])
