"""Tracks: AWS route files and our own designs (see track.py for the format)."""
from deepracer_sim.tracks.track import (
    DATA_DIR,
    TRACKS_PATH_ENV,
    Track,
    TrackError,
    list_tracks,
    load_track,
    save_route,
    validate_route,
)


def random_track(seed, length=None, width=None, **kwargs):
    """A valid random closed track from a seed (see design.random_track)."""
    from deepracer_sim.tracks import design

    if width is None:
        width = design.REINVENT_WIDTH
    return design.random_track(seed, length=length, width=width, **kwargs)


__all__ = [
    "DATA_DIR",
    "TRACKS_PATH_ENV",
    "Track",
    "TrackError",
    "list_tracks",
    "load_track",
    "random_track",
    "save_route",
    "validate_route",
]
