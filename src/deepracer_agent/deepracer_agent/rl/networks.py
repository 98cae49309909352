"""The DeepRacer networks (docs/deepracer-semantics.md#networks) in torch: separate policy and value towers.

Each tower has its own input embedders (a CNN per camera, Dense 256-256 for a LIDAR), concatenates
them and applies the middleware (Dense 512 for the console networks), all with ReLU after every layer.
The policy head is softmax over the discrete actions (probabilities floored at 1e-8), or for a
continuous action space a Gaussian whose mean comes from the tower and whose log-std is one
trainable, state-independent vector (initialised at 0, clipped to [-20, 3]). The value head is Dense(1).

Shapes for a 120×160×1 camera:
    3-layer CNN  Conv(32,8,4) 29×39×32 → Conv(64,4,2) 13×18×64 → Conv(64,3,1) 11×16×64 = 11264 → FC 512
    5-layer CNN  Conv(32,5,2) 58×78×32 → Conv(32,3,1) 56×76×32 → Conv(64,3,2) 27×37×64
                 → Conv(64,3,1) 25×35×64 = 56000 → Dense 64 → FC 512

Observations are a dict keyed by sensor name. Camera images stay uint8 (N, H, W, C) until the network
divides them by 255, as the simulator's embedder does, so a frame from the car can be fed unchanged.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Mapping, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from deepracer_common.model_metadata import ModelMetadata
from deepracer_common.observations import observation_spec

LOG_STD_MIN, LOG_STD_MAX = -20.0, 3.0
PROBABILITY_FLOOR = 1e-8

# [filters, kernel, stride] per conv layer, then dense layers inside the camera embedder.
CAMERA_EMBEDDERS = {
    "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW": ([(32, 8, 4), (64, 4, 2), (64, 3, 1)], []),
    "DEEP_CONVOLUTIONAL_NETWORK": ([(32, 5, 2), (32, 3, 1), (64, 3, 2), (64, 3, 1)], [64]),
    "DEEP_CONVOLUTIONAL_NETWORK_DEEP": ([(32, 8, 4), (32, 4, 2), (64, 4, 2), (64, 3, 1)], [512, 512]),
}
STEREO_EMBEDDERS = {
    "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW": CAMERA_EMBEDDERS["DEEP_CONVOLUTIONAL_NETWORK_SHALLOW"],
    "DEEP_CONVOLUTIONAL_NETWORK": ([(32, 3, 1), (64, 3, 2), (64, 3, 1), (128, 3, 2), (128, 3, 1)], []),
    "DEEP_CONVOLUTIONAL_NETWORK_DEEP": ([(32, 3, 1), (64, 3, 2), (64, 3, 1), (128, 3, 2), (128, 3, 1)], []),
}
LIDAR_EMBEDDER = [256, 256]
MIDDLEWARE = {
    "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW": [512],
    "DEEP_CONVOLUTIONAL_NETWORK": [512],
    "DEEP_CONVOLUTIONAL_NETWORK_DEEP": [256, 128],
}

def normalized_columns_(weight: torch.Tensor, scale: float) -> None:
    """RL Coach's head initialiser: Gaussian weights, each output unit's weight vector scaled to norm `scale`."""
    with torch.no_grad():
        weight.normal_()
        weight.mul_(scale / weight.norm(dim=1, keepdim=True).clamp_min(1e-12))


def _glorot(module: nn.Module) -> None:
    # Keras' default initialiser, which the DeepRacer networks were built with.
    if isinstance(module, (nn.Conv2d, nn.Linear)):
        nn.init.xavier_uniform_(module.weight)
        nn.init.zeros_(module.bias)


class ImageEmbedder(nn.Module):
    def __init__(self, shape: Sequence[int], convs: Sequence[tuple[int, int, int]], dense: Sequence[int]):
        super().__init__()
        height, width, channels = shape
        layers: list[nn.Module] = []
        for filters, kernel, stride in convs:
            layers += [nn.Conv2d(channels, filters, kernel, stride), nn.ReLU()]
            channels = filters
            height = (height - kernel) // stride + 1
            width = (width - kernel) // stride + 1
            if height < 1 or width < 1:
                raise ValueError(f"camera input {tuple(shape)} is too small for the conv layers {list(convs)}")
        layers.append(nn.Flatten())
        size = channels * height * width
        self.conv_output_shape = (height, width, channels)
        for units in dense:
            layers += [nn.Linear(size, units), nn.ReLU()]
            size = units
        self.layers = nn.Sequential(*layers)
        self.output_size = size

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        # (N, H, W, C) uint8 → (N, C, H, W) in [0, 1]; the permuted view is already channels-last in memory.
        x = image.to(torch.float32).permute(0, 3, 1, 2) / 255.0
        return self.layers(x)


class VectorEmbedder(nn.Module):
    def __init__(self, size: int, dense: Sequence[int]):
        super().__init__()
        layers: list[nn.Module] = []
        for units in dense:
            layers += [nn.Linear(size, units), nn.ReLU()]
            size = units
        self.layers = nn.Sequential(*layers)
        self.output_size = size

    def forward(self, vector: torch.Tensor) -> torch.Tensor:
        return self.layers(vector.to(torch.float32))


class Tower(nn.Module):
    """Input embedders, concatenated, then the middleware: one copy per head (policy, value)."""

    def __init__(self, spec: Mapping[str, Sequence[int]], network: str):
        super().__init__()
        if network not in MIDDLEWARE:
            raise ValueError(f"unknown neural_network {network!r}; known: {sorted(MIDDLEWARE)}")
        self.keys = list(spec)
        embedders = {}
        for key, shape in spec.items():
            if len(shape) == 3:
                table = STEREO_EMBEDDERS if shape[2] == 2 else CAMERA_EMBEDDERS
                convs, dense = table[network]
                embedders[key] = ImageEmbedder(shape, convs, dense)
            elif len(shape) == 1:
                embedders[key] = VectorEmbedder(int(shape[0]), LIDAR_EMBEDDER)
            else:
                raise ValueError(f"observation {key!r} has shape {tuple(shape)}; expected (H, W, C) or (N,)")
        self.embedders = nn.ModuleDict(embedders)
        size = sum(e.output_size for e in self.embedders.values())
        layers: list[nn.Module] = []
        for units in MIDDLEWARE[network]:
            layers += [nn.Linear(size, units), nn.ReLU()]
            size = units
        self.middleware = nn.Sequential(*layers)
        self.output_size = size

    def forward(self, observations: Mapping[str, torch.Tensor]) -> torch.Tensor:
        embedded = [self.embedders[key](observations[key]) for key in self.keys]
        return self.middleware(embedded[0] if len(embedded) == 1 else torch.cat(embedded, dim=1))


class PolicyNetwork(nn.Module):
    """The policy tower. forward() returns action probabilities (discrete) or the action mean in [-1, 1]-space."""

    def __init__(self, spec: Mapping[str, Sequence[int]], network: str, action_space_type: str, num_actions: int):
        super().__init__()
        if action_space_type not in ("discrete", "continuous"):
            raise ValueError(f"action_space_type must be 'discrete' or 'continuous', got {action_space_type!r}")
        self.action_space_type = action_space_type
        self.tower = Tower(spec, network)
        self.tower.apply(_glorot)
        self.head = nn.Linear(self.tower.output_size, num_actions)
        nn.init.zeros_(self.head.bias)
        if action_space_type == "discrete":
            nn.init.xavier_uniform_(self.head.weight)
        else:
            normalized_columns_(self.head.weight, 0.01)
            self.log_std = nn.Parameter(torch.zeros(num_actions))

    def forward(self, observations: Mapping[str, torch.Tensor]) -> torch.Tensor:
        out = self.head(self.tower(observations))
        if self.action_space_type == "discrete":
            return F.softmax(out, dim=-1).clamp_min(PROBABILITY_FLOOR)
        return out

    def distribution(self, observations: Mapping[str, torch.Tensor]) -> torch.distributions.Distribution:
        out = self.forward(observations)
        if self.action_space_type == "discrete":
            return torch.distributions.Categorical(probs=out)
        std = self.log_std.clamp(LOG_STD_MIN, LOG_STD_MAX).exp().expand_as(out)
        return torch.distributions.Normal(out, std)


class ValueNetwork(nn.Module):
    def __init__(self, spec: Mapping[str, Sequence[int]], network: str):
        super().__init__()
        self.tower = Tower(spec, network)
        self.tower.apply(_glorot)
        self.head = nn.Linear(self.tower.output_size, 1)
        normalized_columns_(self.head.weight, 1.0)
        nn.init.zeros_(self.head.bias)

    def forward(self, observations: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return self.head(self.tower(observations)).squeeze(-1)


class ActorCritic(nn.Module):
    """Policy and value networks side by side; they share nothing but the optimiser."""

    def __init__(self, spec: Mapping[str, Sequence[int]], network: str, action_space_type: str, num_actions: int):
        super().__init__()
        self.spec = OrderedDict((key, tuple(int(v) for v in shape)) for key, shape in spec.items())
        self.network = network
        self.action_space_type = action_space_type
        self.num_actions = num_actions
        self.policy = PolicyNetwork(self.spec, network, action_space_type, num_actions)
        self.value = ValueNetwork(self.spec, network)
        # Camera batches arrive as (N, H, W, C) and are permuted to NCHW views that are channels-last in
        # memory; channels-last conv weights let oneDNN skip the layout conversions (3x faster training).
        self.to(memory_format=torch.channels_last)

    @classmethod
    def for_metadata(cls, metadata: ModelMetadata, spec: Mapping[str, Sequence[int]] | None = None) -> "ActorCritic":
        space = metadata.action_space
        num_actions = space.n if space.type == "discrete" else 2
        return cls(spec or observation_spec(metadata), metadata.neural_network, space.type, num_actions)

    def log_prob_entropy(self, observations: Mapping[str, torch.Tensor], actions: torch.Tensor):
        dist = self.policy.distribution(observations)
        if self.action_space_type == "discrete":
            return dist.log_prob(actions), dist.entropy()
        return dist.log_prob(actions).sum(-1), dist.entropy().sum(-1)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
