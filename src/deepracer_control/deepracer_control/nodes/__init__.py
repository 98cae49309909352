"""ROS 2 nodes of deepracer_control, and the ROS helpers every package's nodes share."""
