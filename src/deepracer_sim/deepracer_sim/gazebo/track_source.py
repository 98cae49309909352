"""The track borders the world generator draws, read through the simulator's Track API.

Worlds must show exactly the geometry the embedded simulator scores against, so the borders
come from `deepracer_sim.tracks.load_track` (our tracks by name, or any AWS route .npy).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class TrackOutline:
    name: str
    centre: np.ndarray  # (N, 2)
    inner: np.ndarray  # (N, 2)
    outer: np.ndarray  # (N, 2)
    is_loop: bool


def load_outline(name_or_path: str | Path) -> TrackOutline:
    from deepracer_sim.tracks import load_track

    track = load_track(str(name_or_path))
    name = getattr(track, "name", None) or Path(str(name_or_path)).stem
    return TrackOutline(
        name=str(name),
        centre=np.asarray(track.centre, dtype=np.float64)[:, :2],
        inner=np.asarray(track.inner, dtype=np.float64)[:, :2],
        outer=np.asarray(track.outer, dtype=np.float64)[:, :2],
        is_loop=bool(track.is_loop),
    )


def shipped_track_names() -> list[str]:
    from deepracer_sim.tracks import list_tracks

    return sorted(str(getattr(t, "name", t)) for t in list_tracks())


def sdf_name(track_name: str) -> str:
    """A name usable as a gz world, model and topic name (letters, digits, underscores)."""
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", track_name)
    if not cleaned or cleaned[0].isdigit():
        cleaned = "track_" + cleaned
    return cleaned
