"""Regenerate the committed Gazebo files: one world per track plus the car models."""
from __future__ import annotations

from pathlib import Path

from deepracer_sim.gazebo.car import car_model_files
from deepracer_sim.gazebo.sdf import write_atomic
from deepracer_sim.gazebo.track_source import load_outline, shipped_track_names
from deepracer_sim.gazebo.world import world_files


def repo_worlds_dir() -> Path | None:
    """worlds/ of the source checkout this module lives in, or None when installed elsewhere."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "worlds").is_dir() and (parent / "src" / "deepracer_sim").is_dir():
            return parent / "worlds"
    return None


def all_files(tracks: list[str] | None = None, walls: bool = False) -> dict[str, bytes]:
    """Every generated file keyed by path relative to the worlds folder."""
    files: dict[str, bytes] = {}
    for track in tracks if tracks is not None else shipped_track_names():
        outline = load_outline(track)
        for path, data in world_files(outline, walls=walls).items():
            if path in files and files[path] != data:
                raise ValueError(f"two tracks generate the same file {path!r}; rename one of them")
            files[path] = data
    files.update({f"models/{path}": data for path, data in car_model_files().items()})
    return files


def write_files(out_dir: Path, files: dict[str, bytes]) -> list[Path]:
    """Write the files atomically; returns the ones whose content changed."""
    changed = []
    for relative, data in sorted(files.items()):
        path = Path(out_dir) / relative
        if write_atomic(path, data):
            changed.append(path)
    return changed
