"""Race settings every package speaks of: race types, the default track, the workshop's vehicle, and the
episode statuses with the labels the metrics files use (docs/deepracer-semantics.md#sim-trace-and-metrics)."""
from __future__ import annotations

from deepracer_common.action_space import DiscreteActionSpace, discrete_from_garage

RACE_TYPES = ("TIME_TRIAL", "OBJECT_AVOIDANCE", "HEAD_TO_BOT")
# Our re:Invent 2018-sized loop: the demo and the defaults train and race on it.
DEFAULT_TRACK = "crescent_loop"

# The workshop's vehicle, in the console garage's terms: 30° in 5 steps, up to 1 m/s in 3 steps (15 actions).
WORKSHOP_ACTION_SPACE = {
    "type": "discrete",
    "max_steering_angle": 30.0,
    "steering_granularity": 5,
    "max_speed": 1.0,
    "speed_granularity": 3,
}


def workshop_action_space() -> DiscreteActionSpace:
    return discrete_from_garage(**{key: value for key, value in WORKSHOP_ACTION_SPACE.items() if key != "type"})


# Episode statuses, as the sim-trace writes them.
PREPARE = "prepare"
IN_PROGRESS = "in_progress"
OFF_TRACK = "off_track"
CRASHED = "crashed"
IMMOBILIZED = "immobilized"
REVERSED = "reversed"
LAP_COMPLETE = "lap_complete"
PAUSE = "pause"
TIME_UP = "time_up"
PARK = "park"
# ... and as the metrics JSON labels them.
STATUS_LABELS = {
    LAP_COMPLETE: "Lap complete", CRASHED: "Crashed", OFF_TRACK: "Off track", IN_PROGRESS: "In progress",
    IMMOBILIZED: "Immobilized", TIME_UP: "Time Up", PAUSE: "Pause", REVERSED: "Reversed", PARK: "Park",
    PREPARE: "Prepare",
}
EPISODE_STATUSES = tuple(STATUS_LABELS)


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())
