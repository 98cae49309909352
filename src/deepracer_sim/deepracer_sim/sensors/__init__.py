"""Headless DeepRacer sensors: the front camera (mono, stereo, RGB) and the rear LIDAR.

    from deepracer_sim.sensors.camera import CameraRenderer
    from deepracer_sim.sensors.lidar import Lidar, lidar_observation

Geometry constants shared with the ROS node and the Gazebo model are in `geometry`.
Submodules are imported on use so that reading a constant does not compile numba kernels.
"""
