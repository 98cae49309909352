"""Fixtures for the racing-line tests: every line goes to a temporary racing-line folder."""
import pytest

@pytest.fixture(autouse=True)
def racing_line_folder(tmp_path, monkeypatch):
    """Lines written (and looked up) here, and no line remembered from another test."""
    from deepracer_sim.raceline import store

    folder = tmp_path / "racelines"
    monkeypatch.setenv(store.FOLDER_ENV, str(folder))
    monkeypatch.setattr(store, "_LINES", {})
    return folder
