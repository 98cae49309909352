"""Headless DeepRacer sensors: the front camera (mono, stereo, RGB) and the rear LIDAR.

    from deepracer_sim.sensors.camera import CameraRenderer
    from deepracer_sim.sensors.lidar import Lidar
    from deepracer_sim.sensors.suite import SensorSuite

Where the sensors sit and how they see is in deepracer_common.sensor_geometry; what the network
makes of their readings (the LIDAR observations) in deepracer_common.observations.
Submodules are imported on use so that reading a constant does not compile numba kernels.
"""
