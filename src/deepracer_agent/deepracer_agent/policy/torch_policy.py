"""Acting with a trained model: load a checkpoint, turn observations into (action, steering, speed).

This is the API the agent node and `deepracer evaluate` share:

    runner = PolicyRunner.from_model("my-model")            # best checkpoint under the models root
    action, steering_deg, speed_ms = runner.act({"FRONT_FACING_CAMERA": frame})   # frame: (120, 160, 1) uint8

Evaluation is deterministic (argmax of the probabilities, or the Gaussian mean), as in the simulator.
"""
from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any, Mapping

import numpy as np
import torch

from deepracer_agent.model.folder import ModelError, ModelFolder
from deepracer_agent.rl.networks import ActorCritic
from deepracer_common.model_metadata import ModelMetadata


def actor_critic_from_payload(payload: Mapping[str, Any]) -> tuple[ActorCritic, ModelMetadata]:
    """Rebuild the network a checkpoint was saved from and load its weights."""
    try:
        metadata = ModelMetadata.from_dict(payload["model_metadata"], source=f"checkpoint {payload.get('name')}")
        spec = OrderedDict((key, tuple(shape)) for key, shape in payload["observation_spec"])
        model = ActorCritic.for_metadata(metadata, spec)
        model.load_state_dict(payload["model_state"])
    except (KeyError, RuntimeError) as error:
        raise ModelError(f"checkpoint {payload.get('name')!r} does not match its network: {error}") from None
    model.eval()
    return model, metadata


def batch_observations(observations: Mapping[str, Any], keys) -> dict[str, torch.Tensor]:
    """numpy (or tensor) observations, batched or single, to a dict of batched tensors."""
    batch: dict[str, torch.Tensor] = {}
    for key in keys:
        if key not in observations:
            raise KeyError(f"observation {key!r} is missing (got {sorted(observations)})")
        value = torch.as_tensor(np.asarray(observations[key]))
        batch[key] = value
    return batch


class PolicyRunner:
    def __init__(self, model: ActorCritic, metadata: ModelMetadata, name: str = ""):
        self.model = model
        self.metadata = metadata
        self.action_space = metadata.action_space
        self.name = name
        self.keys = list(model.spec)

    @classmethod
    def from_model(
        cls, model: str | os.PathLike, checkpoint: str | int | None = None, root: str | os.PathLike | None = None
    ) -> "PolicyRunner":
        folder = ModelFolder.resolve(model, root)
        payload = folder.load_checkpoint(checkpoint)
        network, metadata = actor_critic_from_payload(payload)
        return cls(network, metadata, name=f"{folder.name}/{payload.get('name')}")

    @torch.no_grad()
    def act_batch(self, observations: Mapping[str, Any], deterministic: bool = True) -> np.ndarray:
        """Raw policy actions for a batch: indices (discrete) or values clipped to [-1, 1] (continuous)."""
        actions, _ = self.model.act(batch_observations(observations, self.keys), deterministic=deterministic)
        actions = actions.numpy()
        if self.action_space.type == "continuous":
            actions = np.clip(actions, -1.0, 1.0)
        return actions

    def act(self, observation: Mapping[str, Any], deterministic: bool = True) -> tuple[Any, float, float]:
        """(action, steering angle °, speed m/s) for one unbatched observation."""
        batched = {key: np.asarray(observation[key])[None] for key in self.keys}
        action = self.act_batch(batched, deterministic)[0]
        action = int(action) if self.action_space.type == "discrete" else action.astype(np.float32)
        steering, speed = self.action_space.command(action)
        return action, float(steering), float(speed)
