"""Simulation with RViz: the embedded simulator in real time (15 Hz), a trained model driving it.

    ros2 launch deepracer_bringup simulation.launch.py model:=/path/to/model_folder [track:=crescent_loop] [rviz:=true]

Without ros2 launch: `deepracer sim up --model /path/to/model_folder` starts the same nodes with
the same parameter file (config/simulation.yaml).

Topics: /camera/image_raw (+ /camera/camera_info), /stereo/{left,right}/image_raw, /scan, /odom,
/tf, /tf_static, /clock, /deepracer/markers, /deepracer/episode_status, /deepracer/reward_params,
/deepracer/track, /deepracer/sim_step, /deepracer/action, /ctrl_pkg/servo_msg.
"""
import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue


def generate_launch_description():
    share = get_package_share_directory("deepracer_bringup")
    params = os.path.join(share, "config", "simulation.yaml")
    rviz_config = os.path.join(share, "config", "deepracer.rviz")
    model = ParameterValue(LaunchConfiguration("model"), value_type=str)
    track = ParameterValue(LaunchConfiguration("track"), value_type=str)
    return LaunchDescription([
        DeclareLaunchArgument("model", description="Model folder (model_metadata.json + model.pt or model.onnx)"),
        DeclareLaunchArgument("track", default_value="crescent_loop",
                              description="Shipped track name or path to a route .npy"),
        DeclareLaunchArgument("rviz", default_value="true", description="Start RViz with config/deepracer.rviz"),
        Node(package="deepracer_sim", executable="sim_node", name="sim_node", output="screen",
             parameters=[params, {"model_path": model, "track": track}]),
        Node(package="deepracer_agent", executable="agent_node", name="agent_node", output="screen",
             parameters=[params, {"model_path": model}]),
        Node(package="deepracer_control", executable="control_node", name="control_node", output="screen",
             parameters=[params, {"model_path": model}]),
        Node(package="rviz2", executable="rviz2", name="rviz2", arguments=["-d", rviz_config],
             parameters=[{"use_sim_time": True}], condition=IfCondition(LaunchConfiguration("rviz"))),
    ])
