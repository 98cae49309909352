"""ROS 2 nodes of the embedded simulator (the only place in deepracer_sim where rclpy is imported)."""
