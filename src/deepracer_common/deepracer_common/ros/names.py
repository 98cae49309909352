"""The stack's names on the ROS graph: topics, services, message types and frames.

Absolute names, so remapping a node's namespace does not silently split the graph. Plain strings,
no rclpy: launch planning and tests read them without a ROS installation.
"""

# Topics (absolute, so remapping a node's namespace does not silently split the graph).
CAMERA_TOPIC = "/camera/image_raw"
CAMERA_INFO_TOPIC = "/camera/camera_info"
STEREO_LEFT_TOPIC = "/stereo/left/image_raw"
STEREO_RIGHT_TOPIC = "/stereo/right/image_raw"
SCAN_TOPIC = "/scan"
ODOM_TOPIC = "/odom"
MARKERS_TOPIC = "/deepracer/markers"
EPISODE_STATUS_TOPIC = "/deepracer/episode_status"
REWARD_PARAMS_TOPIC = "/deepracer/reward_params"
TRACK_TOPIC = "/deepracer/track"
SIM_STEP_TOPIC = "/deepracer/sim_step"
ACTION_TOPIC = "/deepracer/action"
# model_metadata.json of the model the agent runs (std_msgs/String, JSON, transient local), so
# control_node maps actions with the very action space the policy was built for.
MODEL_METADATA_TOPIC = "/deepracer/model_metadata"
SERVO_TOPIC = "/ctrl_pkg/servo_msg"
CAR_CAMERA_TOPIC = "/camera_pkg/video_mjpeg"

# Services.
RESET_EPISODE_SERVICE = "/deepracer/reset_episode"
SET_TRACK_SERVICE = "/deepracer/set_track"
PAUSE_SERVICE = "/deepracer/pause"
CONTROL_ENABLE_SERVICE = "/deepracer_control/enable"
SET_THROTTLE_SCALE_SERVICE = "/deepracer_control/set_throttle_scale"

# Message types as ROS type strings, so a parameter can swap in the car's package.
SERVO_TYPE = "deepracer_interfaces/msg/ServoCtrlMsg"
CAR_SERVO_TYPE = "deepracer_interfaces_pkg/msg/ServoCtrlMsg"
CAR_CAMERA_TYPE = "deepracer_interfaces_pkg/msg/CameraMsg"
IMAGE_TYPE = "sensor_msgs/msg/Image"

# Frames (REP-103/105).
MAP_FRAME = "map"
ODOM_FRAME = "odom"
BASE_FRAME = "base_link"
CAMERA_FRAME = "camera_link"
CAMERA_OPTICAL_FRAME = "camera_optical_frame"
LEFT_CAMERA_OPTICAL_FRAME = "left_camera_optical_frame"
RIGHT_CAMERA_OPTICAL_FRAME = "right_camera_optical_frame"
LASER_FRAME = "laser"
