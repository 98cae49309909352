"""Training over topics: the simulator in lock-step, agent_node training PPO, control_node in the loop.

    ros2 launch deepracer_bringup training.launch.py config:=/path/to/training_config.yaml model:=/path/to/new_model

The simulator advances one step per action (sim_node → agent_node → control_node → sim_node), so
training runs as fast as the slowest node, not at 15 Hz. agent_node computes rewards with the
user's reward function from the params sim_node publishes on /deepracer/sim_step and writes the
same model folder as `deepracer train`. Without ros2 launch: `deepracer sim up --scenario training`.
"""
import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, Shutdown
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue


def generate_launch_description():
    share = get_package_share_directory("deepracer_bringup")
    params = os.path.join(share, "config", "training.yaml")
    model = ParameterValue(LaunchConfiguration("model"), value_type=str)
    config = ParameterValue(LaunchConfiguration("config"), value_type=str)
    track = ParameterValue(LaunchConfiguration("track"), value_type=str)
    return LaunchDescription([
        DeclareLaunchArgument("model", description="Model folder to write (created if missing)"),
        DeclareLaunchArgument("config", default_value="",
                              description="Training config of `deepracer train` (vehicle, reward, hyperparameters)"),
        DeclareLaunchArgument("track", default_value="crescent_loop",
                              description="Shipped track name or path to a route .npy"),
        Node(package="deepracer_sim", executable="sim_node", name="sim_node", output="screen",
             parameters=[params, {"track": track}]),
        # When training ends (or cannot start), agent_node exits and takes the others down with it.
        Node(package="deepracer_agent", executable="agent_node", name="agent_node", output="screen",
             parameters=[params, {"model_path": model, "training_config": config}], on_exit=Shutdown()),
        Node(package="deepracer_control", executable="control_node", name="control_node", output="screen",
             parameters=[params]),
    ])
