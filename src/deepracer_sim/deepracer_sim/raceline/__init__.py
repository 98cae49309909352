"""Racing lines: the minimum-curvature line of a track, its speed profile, an oracle that drives it.

    from deepracer_sim.tracks import load_track
    from deepracer_sim.raceline import compute_racing_line, drive_oracle_lap, suggest_action_space

    track = load_track("crescent_loop")
    line = compute_racing_line(track)            # optimise.py (path), speed.py (profile), line.py
    lap = drive_oracle_lap(track, line)          # oracle.py: pure pursuit in RaceSimulation
    actions = suggest_action_space(line)         # actions.py

`deepracer raceline TRACK` (cli.py) does all of it, writes the line (store.py says where and in which
format) and plots it (plot.py). A reward function gets the line of the track it is trained on with
`racing_line_for_params(params)` (see the speed_racing_line reward template).

The names below load their modules on first use, so `deepracer --help` does not pay for numba and scipy.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "RacingLine": "line",
    "compute_racing_line": "line",
    "centre_fingerprint": "line",
    "CAR_HALF_WIDTH": "line",
    "DEFAULT_MARGIN": "line",
    "DEFAULT_GRIP": "line",
    "RacingLineError": "optimise",
    "SpeedLimits": "speed",
    "PurePursuit": "oracle",
    "OracleLap": "oracle",
    "drive_oracle_lap": "oracle",
    "SuggestedActions": "actions",
    "suggest_action_space": "actions",
    "RacingLineFileError": "store",
    "racing_line_folder": "store",
    "read_racing_line": "store",
    "write_racing_line": "store",
    "racing_line_for_params": "store",
    "plot_racing_line": "plot",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'deepracer_sim.raceline' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"deepracer_sim.raceline.{module}"), name)
    globals()[name] = value
    return value
