"""Paths the Gazebo tests share (a plain module: test folders are not packages)."""
from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WORLDS = REPO / "worlds"


def shared_tracks_dir() -> Path | None:
    env = os.environ.get("DEEPRACER_SHARED_TRACKS")
    folder = Path(env) if env else REPO / ".." / "shared" / "tracks"
    return folder.resolve() if folder.is_dir() and any(folder.glob("*.npy")) else None
