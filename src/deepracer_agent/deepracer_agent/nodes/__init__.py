"""ROS 2 nodes of the agent: agent_node (inference and training over topics) and the loop benchmark."""
