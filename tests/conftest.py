"""Suite-wide fixtures. Tests run against the built workspace: `make test` sources it first."""
import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_tracks_dir() -> Path:
    """The real AWS route files, which live beside the repository (../shared/tracks), never in it."""
    return Path(os.environ.get("DEEPRACER_SHARED_TRACKS", REPO_ROOT.parent / "shared" / "tracks"))


@pytest.fixture(scope="session")
def shared_tracks() -> Path:
    folder = shared_tracks_dir()
    if not (folder / "reinvent_base.npy").exists():
        pytest.skip(f"the real AWS route files are not at {folder} (set DEEPRACER_SHARED_TRACKS)")
    return folder


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
