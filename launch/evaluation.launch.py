"""Evaluation: a trained model drives the simulator in lock-step with its deterministic policy.

    ros2 launch deepracer_bringup evaluation.launch.py model:=/path/to/model_folder [track:=crescent_loop]

Episodes start at the track's start line (no round robin) and the agent takes the most probable
action (argmax, or the mean of a continuous policy), as DeepRacer evaluations do. Lap results are
published on /deepracer/episode_status. Without ros2 launch: `deepracer sim up --scenario evaluation`.
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
    params = os.path.join(share, "config", "evaluation.yaml")
    model = ParameterValue(LaunchConfiguration("model"), value_type=str)
    track = ParameterValue(LaunchConfiguration("track"), value_type=str)
    return LaunchDescription([
        DeclareLaunchArgument("model", description="Model folder to evaluate"),
        DeclareLaunchArgument("track", default_value="crescent_loop",
                              description="Shipped track name or path to a route .npy"),
        Node(package="deepracer_sim", executable="sim_node", name="sim_node", output="screen",
             parameters=[params, {"model_path": model, "track": track}]),
        Node(package="deepracer_agent", executable="agent_node", name="agent_node", output="screen",
             parameters=[params, {"model_path": model}]),
        Node(package="deepracer_control", executable="control_node", name="control_node", output="screen",
             parameters=[params, {"model_path": model}]),
    ])
