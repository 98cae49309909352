"""What the ROS 2 nodes share: topic names and frames, QoS, parameter declaration, the spin loop, message conversions. Only node modules import this subpackage."""
