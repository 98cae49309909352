"""The torch backend of the policy runner (deepracer_agent.policy.runner): a checkpoint's policy network,
or the network being trained, and TorchSampler, the runner's random source in training.

Checkpoints hold the network's state with the model metadata and the observation shapes it was
built for, so the network can be rebuilt from the checkpoint alone (actor_critic_from_payload);
checkpoint_payload writes that form.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Mapping

import numpy as np
import torch

from deepracer_agent.model.folder import CheckpointName, ModelError, ModelFolder
from deepracer_agent.rl.networks import LOG_STD_MAX, LOG_STD_MIN, ActorCritic
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


def checkpoint_payload(model: ActorCritic, metadata: ModelMetadata, name: CheckpointName,
                       track: str | None = None) -> dict:
    """What a checkpoint file holds (ModelFolder.save_checkpoint adds its format and name)."""
    payload = {
        "checkpoint": name.number,
        "steps": name.steps,
        "model_metadata": metadata.to_dict(),
        "observation_spec": [[key, list(shape)] for key, shape in model.spec.items()],
        "model_state": model.state_dict(),
    }
    if track is not None:
        payload["track"] = track
    return payload


class TorchBackend:
    kind = "torch"

    def __init__(self, model: ActorCritic):
        self.model = model
        self.keys = list(model.spec)

    @classmethod
    def from_folder(cls, folder: ModelFolder, checkpoint: str | int | None = None,
                    threads: int | None = None) -> tuple["TorchBackend", ModelMetadata, str]:
        """(backend, metadata, checkpoint name) for a checkpoint of a training model folder."""
        if threads is not None:
            torch.set_num_threads(threads)
        payload = folder.load_checkpoint(checkpoint)
        model, metadata = actor_critic_from_payload(payload)
        return cls(model), metadata, str(payload.get("name"))

    def forward(self, observations: Mapping[str, Any]) -> np.ndarray:
        # Camera frames stay uint8: the network scales them itself, as the car's frames arrive.
        with torch.inference_mode():
            batch = {key: torch.as_tensor(np.asarray(observations[key])) for key in self.keys}
            return self.model.policy(batch).numpy()

    def log_std(self) -> np.ndarray | None:
        policy = self.model.policy
        if policy.action_space_type != "continuous":
            return None
        with torch.no_grad():
            return policy.log_std.clamp(LOG_STD_MIN, LOG_STD_MAX).numpy().copy()


class TorchSampler:
    """Samples as torch.distributions does (Categorical, Normal), from a torch generator (default: the
    global one). Training seeds that generator and saves its state with every iteration
    (training_state.pt), so a seeded run repeats, and a resumed run continues, the draws of an
    uninterrupted one, and the log-probabilities PPO compares against are torch's own."""

    def __init__(self, generator: torch.Generator | None = None):
        self.generator = generator

    def categorical(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        distribution = torch.distributions.Categorical(probs=torch.from_numpy(np.asarray(weights, dtype=np.float32)))
        probabilities = distribution.probs.reshape(-1, distribution.probs.shape[-1])
        actions = torch.multinomial(probabilities, 1, True, generator=self.generator)[:, 0]
        return actions.numpy(), distribution.log_prob(actions).numpy()

    def normal(self, mean: np.ndarray, log_std: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean = torch.from_numpy(np.array(mean, dtype=np.float32))
        std = torch.as_tensor(np.array(log_std, dtype=np.float32)).exp()  # a copy: log_std may be a broadcast view
        distribution = torch.distributions.Normal(mean, std)
        actions = torch.normal(distribution.loc, distribution.scale, generator=self.generator)
        return actions.numpy(), distribution.log_prob(actions).sum(-1).numpy()
