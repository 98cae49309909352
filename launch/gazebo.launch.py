"""Gazebo (gz-sim Harmonic, ROS 2 Jazzy): a trained model drives the DeepRacer in a track world.

    ros2 launch deepracer_bringup gazebo.launch.py model:=/path/to/model_folder [track:=crescent_loop]
        [car:=camera|camera_lidar|stereo|stereo_lidar] [headless:=false] [reverse:=false] [rviz:=false]

Starts gz sim with the track's generated world (worlds/<track>.sdf; a route .npy path gets its
world generated into ~/.cache/deepracer/gazebo), spawns the car variant that carries the model's
sensors, bridges Gazebo and ROS (config/gz_bridge.yaml plus the world's set_pose service), and
runs gazebo_bridge_node in sim_node's place, so agent_node and control_node run unchanged: they
see /camera/image_raw (160x120 mono8), /scan, /deepracer/reward_params, /deepracer/episode_status
and /deepracer/sim_step, and drive through /ctrl_pkg/servo_msg. Everything runs on Gazebo's
clock (use_sim_time). See docs/gazebo.md.
"""
import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import (
    DeclareLaunchArgument,
    IncludeLaunchDescription,
    OpaqueFunction,
    SetEnvironmentVariable,
)
from launch.conditions import IfCondition
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node


def _truthy(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "on")


def _launch_setup(context):
    from deepracer_sim.gazebo.launch_plan import plan

    bringup_share = get_package_share_directory("deepracer_bringup")
    sim_share = get_package_share_directory("deepracer_sim")
    model = LaunchConfiguration("model").perform(context)
    track = LaunchConfiguration("track").perform(context)
    reverse = _truthy(LaunchConfiguration("reverse").perform(context))
    setup = plan(
        track,
        os.path.join(sim_share, "worlds"),
        model_path=model or None,
        car=LaunchConfiguration("car").perform(context) or None,
        headless=_truthy(LaunchConfiguration("headless").perform(context)),
        reverse=reverse,
    )
    params = os.path.join(bringup_share, "config", "simulation.yaml")
    sim_time = {"use_sim_time": True}
    existing = os.environ.get("GZ_SIM_RESOURCE_PATH", "")
    resource_path = os.pathsep.join([*setup.resource_paths, *([existing] if existing else [])])
    return [
        SetEnvironmentVariable("GZ_SIM_RESOURCE_PATH", resource_path),
        IncludeLaunchDescription(
            PythonLaunchDescriptionSource(
                os.path.join(get_package_share_directory("ros_gz_sim"), "launch", "gz_sim.launch.py")
            ),
            launch_arguments={"gz_args": setup.gz_args, "on_exit_shutdown": "true"}.items(),
        ),
        Node(package="ros_gz_sim", executable="create", name="spawn_deepracer", output="screen",
             arguments=list(setup.spawn_args)),
        Node(package="ros_gz_bridge", executable="parameter_bridge", name="gz_bridge", output="screen",
             parameters=[{"config_file": os.path.join(bringup_share, "config", "gz_bridge.yaml"), **sim_time}]),
        Node(package="ros_gz_bridge", executable="parameter_bridge", name="gz_service_bridge", output="screen",
             arguments=list(setup.service_bridge_args), parameters=[sim_time]),
        # The demo rules of config/simulation.yaml's sim_node: a car that leaves the track is put
        # back after a penalty instead of ending the episode.
        Node(package="deepracer_sim", executable="gazebo_bridge_node", name="gazebo_bridge_node", output="screen",
             parameters=[{"track": track, "reverse": reverse, "world": setup.world_name,
                          "stereo": setup.car.stereo, "lidar": setup.car.lidar, "model_path": model,
                          "evaluation": True, "number_of_resets": 10000, "off_track_penalty": 1.0,
                          "collision_penalty": 1.0, **sim_time}]),
        Node(package="deepracer_agent", executable="agent_node", name="agent_node", output="screen",
             parameters=[params, {"model_path": model, **sim_time}]),
        Node(package="deepracer_control", executable="control_node", name="control_node", output="screen",
             parameters=[params, {"model_path": model, **sim_time}]),
    ]


def generate_launch_description():
    rviz_config = os.path.join(get_package_share_directory("deepracer_bringup"), "config", "deepracer.rviz")
    return LaunchDescription([
        DeclareLaunchArgument("model", default_value="",
                              description="Model folder (model_metadata.json + model.pt or model.onnx)"),
        DeclareLaunchArgument("track", default_value="crescent_loop",
                              description="Shipped track name or path to a route .npy"),
        DeclareLaunchArgument("car", default_value="",
                              description="camera, camera_lidar, stereo or stereo_lidar (default: the model's sensors)"),
        DeclareLaunchArgument("reverse", default_value="false", description="Drive the track clockwise/reversed"),
        DeclareLaunchArgument("headless", default_value="false",
                              description="Run gz sim server-only with headless rendering (no GUI)"),
        DeclareLaunchArgument("rviz", default_value="false", description="Start RViz with config/deepracer.rviz"),
        OpaqueFunction(function=_launch_setup),
        Node(package="rviz2", executable="rviz2", name="rviz2", arguments=["-d", rviz_config],
             parameters=[{"use_sim_time": True}], condition=IfCondition(LaunchConfiguration("rviz"))),
    ])
