"""Fixtures for the simulator tests."""
import numpy as np
import pytest

from deepracer_sim.tracks import load_track


@pytest.fixture(scope="session")
def reinvent(shared_tracks):
    return load_track(shared_tracks / "reinvent_base.npy")


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
