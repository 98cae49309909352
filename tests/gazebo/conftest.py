"""Shared fixtures: the libsdformat12 checker, the committed worlds folder, the AWS route files."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from gazebo_test_support import shared_tracks_dir


@pytest.fixture(scope="session")
def sdf_checker():
    """The compiled checker; skips (naming what is missing) where libsdformat12 or g++ is absent.

    Compiled on first use into a cache keyed by its source, the compiler and the library's
    flags, so later sessions reuse it."""
    from deepracer_sim.gazebo.sdf_check import CheckerUnavailable, build_checker

    try:
        return build_checker()
    except CheckerUnavailable as error:
        pytest.skip(f"libsdformat12 checker unavailable: {error}")


@pytest.fixture(scope="session")
def aws_tracks() -> Path:
    folder = shared_tracks_dir()
    if folder is None:
        pytest.skip("AWS route files not found (set DEEPRACER_SHARED_TRACKS to their folder)")
    return folder


@pytest.fixture(scope="session")
def assimp():
    tool = shutil.which("assimp")
    if tool is None:
        pytest.skip("assimp (Debian package assimp-utils) is not installed, meshes cannot be loaded independently")
    return tool
