"""Gazebo (gz-sim Harmonic) path: SDF worlds and car models generated from our tracks, the
ros_gz_bridge glue, and the pose -> reward-params core behind gazebo_bridge_node.

Nothing here imports rclpy or Gazebo; the generated files are checked with libsdformat.
"""
