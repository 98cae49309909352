"""agent_node: a DeepRacer model acting on observation topics, or training on them.

Inference (mode: inference) acts on either
- /deepracer/sim_step (observation_source: sim_step): sim_node's bundled step, answered with the
  AgentAction for exactly that step (a repeated SimStep gets the action already chosen), or
- live sensor topics (observation_source: sensors): a camera topic whose type is a parameter
  (sensor_msgs/msg/Image, or the physical car's deepracer_interfaces_pkg/msg/CameraMsg on
  /camera_pkg/video_mjpeg) and, for LIDAR models, a LaserScan topic; one action per frame.
The policy (deepracer_agent.policy.runner) is the model folder's torch checkpoint, or its model.onnx
where torch is missing; setting model_path, backend or checkpoint at run time loads it again.
Actions go out on /deepracer/action with the action index, the probabilities (discrete) or the
normalised action (continuous), and the steering/speed pair they stand for. The model's
model_metadata.json is announced (latched) on /deepracer/model_metadata for control_node and
sim_node.

Training (mode: training) runs `deepracer train`'s Trainer over topics (topic_training.py):
sim_node must run in lockstep mode; the model folder written is the same as `deepracer train`'s.

Bad input (an image of the wrong size or encoding, a missing LIDAR scan, an unknown model path)
is logged and the node carries on.
"""
from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import numpy as np
import rclpy
from rcl_interfaces.msg import SetParametersResult
from rclpy.node import Node
from sensor_msgs.msg import LaserScan
from std_msgs.msg import String

from deepracer_agent.nodes.observations import ObservationBuilder, scan_to_rays
from deepracer_agent.policy.runner import BACKENDS, PolicyLoadError, load_policy
from deepracer_common.ros import names
from deepracer_common.ros import node_support as ros
from deepracer_common.ros.messages import MessageError
from deepracer_interfaces.msg import AgentAction, SimStep, TrackInfo
from deepracer_interfaces.srv import ResetEpisode, SetTrack

PARAMETERS = {
    "model_path": ("", "Model folder: a training folder (model/…ckpt, export/model.onnx) or a car folder "
                       "(model_metadata.json + model.onnx). In training: the folder to create"),
    "mode": ("inference", "inference or training", True),
    "observation_source": ("sim_step", "sim_step: /deepracer/sim_step from sim_node; sensors: camera (+ scan) "
                                       "topics, as on the car", True),
    "camera_topic": (names.CAMERA_TOPIC, "Camera topic for observation_source sensors", True),
    "camera_type": (names.IMAGE_TYPE, "sensor_msgs/msg/Image, or deepracer_interfaces_pkg/msg/CameraMsg on the car "
                                   "(images[0] = left/only camera, images[1] = right)", True),
    "scan_topic": (names.SCAN_TOPIC, "LaserScan topic for LIDAR models (the car: /rplidar_ros/scan)", True),
    "deterministic": (True, "Take the most probable action (evaluation); false samples from the policy"),
    "backend": ("auto", "auto (torch when installed and the folder has checkpoints, else ONNX), torch or onnx; "
                        "changing it reloads the model"),
    "checkpoint": ("", "Checkpoint to load: empty or 'best', 'last', a number or a name; changing it reloads the model"),
    "training_config": ("", "Training: the config file of `deepracer train` (vehicle, reward function, "
                            "hyperparameters, stop conditions); empty = the workshop defaults"),
    "max_iterations": (0, "Training: stop after this many iterations (0 = the config's stop conditions)"),
    "shutdown_when_done": (True, "Training: stop the node when training ends"),
    "sim_timeout_s": (60.0, "Training: give up when sim_node does not answer for this long"),
}
LOG_THROTTLE_S = 2.0
# Inference acts on one observation at a time: more threads only add scheduling noise on a small
# CNN, and sim_node and control_node need the other cores. Training over topics acts the same way.
ACTING_THREADS = 1
# Parameters whose change loads the policy again.
MODEL_PARAMETERS = ("model_path", "backend", "checkpoint")


class AgentNode(Node):
    def __init__(self, **kwargs):
        super().__init__("agent_node", **kwargs)
        ros.declare_parameters(self, PARAMETERS)
        self.mode = self.get_parameter("mode").value
        self.source = self.get_parameter("observation_source").value
        if self.mode not in ("inference", "training"):
            raise ValueError(f"agent_node: mode must be 'inference' or 'training', got {self.mode!r}")
        if self.source not in ("sim_step", "sensors"):
            raise ValueError(f"agent_node: observation_source must be 'sim_step' or 'sensors', got {self.source!r}")
        self.policy = None
        self.builder: ObservationBuilder | None = None
        self.last_answer: AgentAction | None = None
        self.latest_ranges: np.ndarray | None = None
        self.action_pub = self.create_publisher(AgentAction, names.ACTION_TOPIC, ros.LOCKSTEP_QOS)
        self.metadata_pub = self.create_publisher(String, names.MODEL_METADATA_TOPIC, ros.LATCHED_QOS)
        self.training_thread: threading.Thread | None = None
        self.link = None
        self.problems = ros.ThrottledLog(self.get_logger(), LOG_THROTTLE_S)

        if self.mode == "training":
            self._start_training()
            return
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self._load_policy(self.get_parameter("model_path").value)
        if self.source == "sim_step":
            self.create_subscription(SimStep, names.SIM_STEP_TOPIC, self._on_sim_step, ros.LOCKSTEP_QOS)
        else:
            camera_type = ros.import_interface(self.get_parameter("camera_type").value)
            self.create_subscription(camera_type, self.get_parameter("camera_topic").value, self._on_camera,
                                     ros.SENSOR_QOS)
            self.create_subscription(LaserScan, self.get_parameter("scan_topic").value, self._on_scan, ros.SENSOR_QOS)

    # ------------------------------------------------------------------ model
    def _on_set_parameters(self, parameters) -> SetParametersResult:
        # The callback runs before the new values are stored: load with them, the others as they are.
        changed = {parameter.name: parameter.value for parameter in parameters}
        backend = changed.get("backend")
        if backend is not None and backend not in BACKENDS:
            return SetParametersResult(successful=False, reason=f"unknown backend {backend!r}")
        if any(name in changed for name in MODEL_PARAMETERS):
            settings = {name: changed.get(name, self.get_parameter(name).value) for name in MODEL_PARAMETERS}
            self._load_policy(**settings)
        return SetParametersResult(successful=True)

    def _load_policy(self, model_path: str, backend: str | None = None, checkpoint: str | None = None) -> None:
        backend = self.get_parameter("backend").value if backend is None else backend
        checkpoint = self.get_parameter("checkpoint").value if checkpoint is None else checkpoint
        try:
            policy = load_policy(model_path, backend, checkpoint or None, threads=ACTING_THREADS)
        except PolicyLoadError as error:
            self.policy = None
            self.builder = None
            self.get_logger().error(f"cannot load a policy: {error}; not acting until model_path names a model")
            return
        self.policy = policy
        self.builder = ObservationBuilder(policy.metadata)
        self.last_answer = None
        self.metadata_pub.publish(String(data=json.dumps(policy.metadata.to_dict())))
        self.get_logger().info(f"acting with {policy.name} ({policy.kind}), sensors {policy.metadata.sensor}, "
                               f"{policy.metadata.action_space!r}")

    # ------------------------------------------------------------------ inference
    def _act(self, observation: dict, step: int, stamp) -> AgentAction:
        decision = self.policy.act(observation, self.get_parameter("deterministic").value)
        msg = AgentAction()
        msg.header.stamp = stamp
        msg.step = step
        if self.policy.metadata.action_space.type == "discrete":
            msg.action_index = int(decision.action)
        else:
            msg.action_index = -1
        msg.probabilities = [float(v) for v in decision.probabilities]
        msg.steering_angle = decision.steering_angle
        msg.speed = decision.speed
        self.action_pub.publish(msg)
        return msg

    def _on_sim_step(self, msg: SimStep) -> None:
        if msg.status.done:
            return  # sim_node starts the next episode by itself; nothing to answer
        if self.last_answer is not None and msg.step == self.last_answer.step:
            self.action_pub.publish(self.last_answer)  # sim_node asked again: same step, same action
            return
        if self.policy is None:
            self.get_logger().warning(f"SimStep {msg.step}: no policy loaded", throttle_duration_sec=LOG_THROTTLE_S)
            return
        try:
            observation = self.builder.build(msg.images, msg.lidar)
        except MessageError as error:
            self.problems.error(str(error), f"SimStep {msg.step} ignored: {error}")
            return
        self.last_answer = self._act(observation, msg.step, msg.header.stamp)

    def _on_scan(self, msg: LaserScan) -> None:
        try:
            self.latest_ranges = scan_to_rays(msg)
        except MessageError as error:
            self.problems.error(str(error), f"scan ignored: {error}")

    def _on_camera(self, msg) -> None:
        if self.policy is None:
            self.get_logger().warning("camera frame: no policy loaded", throttle_duration_sec=LOG_THROTTLE_S)
            return
        images = list(msg.images) if hasattr(msg, "images") else [msg]
        ranges = self.latest_ranges if self.builder.needs_lidar else None
        try:
            observation = self.builder.build(images, ranges)
        except MessageError as error:
            self.problems.error(str(error), f"camera frame ignored: {error}")
            return
        stamp = images[0].header.stamp if images else self.get_clock().now().to_msg()
        self._act(observation, 0, stamp)

    # ------------------------------------------------------------------ training
    def _start_training(self) -> None:
        from deepracer_agent.nodes.topic_training import TopicLink

        if self.source != "sim_step":
            raise ValueError("agent_node: training needs observation_source 'sim_step' (sim_node in lockstep mode)")
        try:
            self.trainer = self._make_trainer()
        except (ValueError, OSError) as error:  # ConfigError, ModelError, TrainingError, a missing file
            self.trainer = None
            self.get_logger().error(f"cannot train: {error}")
            self._finish_training(failed=True)
            return
        metadata = self.trainer.metadata
        self.reset_client = self.create_client(ResetEpisode, names.RESET_EPISODE_SERVICE)
        self.track_client = self.create_client(SetTrack, names.SET_TRACK_SERVICE)
        self.link = TopicLink(metadata, self.action_pub.publish, self._reset_episode, self._set_track,
                              float(self.get_parameter("sim_timeout_s").value), self.get_logger().info)
        self.create_subscription(SimStep, names.SIM_STEP_TOPIC, self.link.deliver_step, ros.LOCKSTEP_QOS)
        self.create_subscription(TrackInfo, names.TRACK_TOPIC, self.link.deliver_track, ros.LATCHED_QOS)
        self.metadata_pub.publish(String(data=json.dumps(metadata.to_dict())))
        # The training thread and the executor hand every step to each other: with Python's default 5 ms GIL
        # switch interval each handoff can wait that long, which capped training at ~15 steps/s.
        sys.setswitchinterval(0.0002)
        self.training_thread = threading.Thread(target=self._train, name="topic-training", daemon=True)
        self.training_thread.start()

    def _make_trainer(self):
        from deepracer_agent.model.folder import ModelFolder, models_root
        from deepracer_agent.training.config import TrainingConfig
        from deepracer_agent.training.trainer import Trainer

        config_path = self.get_parameter("training_config").value
        config = TrainingConfig.load(config_path) if config_path else TrainingConfig()
        max_iterations = int(self.get_parameter("max_iterations").value)
        if max_iterations > 0:
            config.stop.max_iterations = max_iterations
        if config.training.num_envs != 1:
            self.get_logger().info(f"training over topics drives one simulator; num_envs {config.training.num_envs} "
                                   "is taken as 1")
            config.training.num_envs = 1
        if config.training.eval_episodes > 1:
            self.get_logger().info("training over topics evaluates with one episode per iteration")
            config.training.eval_episodes = 1
        model_path = self.get_parameter("model_path").value
        folder = ModelFolder(Path(model_path).expanduser() if model_path else models_root() / config.model)
        from deepracer_agent.nodes.topic_training import TopicEnvGroup

        # The link is made once the trainer exists (it needs the trainer's vehicle); the factory runs later.
        return Trainer(config, folder, show_progress=False, echo=self.get_logger().info,
                       env_group_factory=lambda num_envs, kwargs: TopicEnvGroup(self.link, kwargs),
                       acting_threads=ACTING_THREADS)

    def _reset_episode(self, start_ndist: float) -> int:
        reply = self._call(self.reset_client, ResetEpisode.Request(start_ndist=float(start_ndist)), "reset_episode")
        if not reply.success:
            raise RuntimeError(f"sim_node refused to reset the episode: {reply.message}")
        return int(reply.step)

    def _set_track(self, track: str, reverse: bool) -> None:
        reply = self._call(self.track_client, SetTrack.Request(track=track, reverse=reverse), "set_track")
        if not reply.success:
            raise RuntimeError(f"sim_node cannot switch to track {track!r}: {reply.message}")

    def _call(self, client, request, name: str):
        """A service call from the training thread (the executor runs in the main thread)."""
        from deepracer_agent.nodes.topic_training import TopicLinkClosed

        timeout = float(self.get_parameter("sim_timeout_s").value)
        if not client.wait_for_service(timeout_sec=timeout):
            raise TopicLinkClosed(f"sim_node's {name} service is not available")
        future = client.call_async(request)
        done = threading.Event()
        future.add_done_callback(lambda _: done.set())
        if not done.wait(timeout):
            raise TopicLinkClosed(f"sim_node's {name} service did not answer within {timeout:g} s")
        return future.result()

    def _train(self) -> None:
        from deepracer_agent.nodes.topic_training import TopicLinkClosed

        failed = False
        try:
            summary = self.trainer.run()
            self.get_logger().info(
                f"training finished ({summary.stop_reason}): {summary.iterations} iterations, {summary.episodes} "
                f"episodes, best checkpoint {summary.best_checkpoint} in {summary.path}")
        except TopicLinkClosed as error:
            failed = True
            self.get_logger().error(f"training stopped: {error}")
        except (ValueError, RuntimeError, OSError) as error:  # TrainingError is a ValueError
            failed = True
            self.get_logger().error(f"training stopped: {error}")
        self._finish_training(failed)

    def _finish_training(self, failed: bool) -> None:
        self.exit_code = 1 if failed else 0
        if self.get_parameter("shutdown_when_done").value:
            # Leave the spin loop from whichever thread finished training.
            rclpy.try_shutdown(context=self.context)

    def close(self) -> None:
        if self.link is not None:
            self.link.close()
        if self.training_thread is not None:
            self.training_thread.join(timeout=10.0)


def main(args: list[str] | None = None) -> int:
    return ros.spin_node(AgentNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
