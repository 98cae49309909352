"""What sim_node and gazebo_bridge_node answer the same way: which model they simulate (model_path, or the
model agent_node announces), and the reset and pause requests."""
from __future__ import annotations

import json
from typing import Callable

from deepracer_common import model_files
from deepracer_common.model_metadata import ModelMetadata, ModelMetadataError


class EpisodeRefused(Exception):
    """A reset cannot be done now; the message is the service's answer."""


def load_model_metadata(node, model_path: str, fallback: str) -> tuple[ModelMetadata, str] | None:
    """(metadata, its file) of the model_path parameter, or None after logging why and that `fallback` is used."""
    try:
        path = model_files.find_metadata(model_path)
        return ModelMetadata.load(path), str(path)
    except (ModelMetadataError, OSError) as error:
        node.get_logger().error(f"model_path: {error}; using {fallback} instead")
        return None


def announced_metadata(node, data: str) -> ModelMetadata | None:
    """The model agent_node announced on /deepracer/model_metadata, or None after logging what is wrong with it."""
    try:
        return ModelMetadata.from_dict(json.loads(data), source="model metadata from agent_node")
    except (json.JSONDecodeError, ModelMetadataError) as error:
        node.get_logger().error(f"ignoring model metadata message: {error}")
        return None


def answer_reset(request, response, start_episode: Callable[[float | None], tuple[str, int]]):
    """ResetEpisode: start_ndist in [0, 1) starts there, a negative one at the next round-robin start.
    start_episode(start_ndist or None) -> (message, step id of the episode's first SimStep), or EpisodeRefused."""
    start = request.start_ndist
    if start >= 0.0 and not start < 1.0:
        response.success, response.message = False, f"start_ndist must be in [0, 1) or negative, got {start}"
        return response
    try:
        response.message, response.step = start_episode(None if start < 0.0 else float(start))
    except EpisodeRefused as refusal:
        response.success, response.message = False, str(refusal)
        return response
    response.success = True
    return response


def answer_pause(request, response, set_paused: Callable[[bool], None]):
    """SetBool on /deepracer/pause: True pauses the simulation, False resumes it."""
    paused = bool(request.data)
    set_paused(paused)
    response.success = True
    response.message = "paused" if paused else "running"
    return response
