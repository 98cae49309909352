"""How the simulator's front ends (sim_node, gazebo_bridge_node) step it, without ROS: which command a step
reports and which one drives the car (commands), the lock-step protocol (lockstep), what one step hands to
the publishers (report), and the embedded simulator driven by servo messages (embedded)."""
