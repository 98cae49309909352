"""Reward functions: locating a user's file or a shipped template, and the console's Validate button.

Loading and calling follow deepracer_sim.race.reward_function (the simulator's contract, used by the environment
during training): a file defining `reward_function(params)`, whose result must be a finite number
within ±1e5, returned within the time limit. `validate_reward_file` runs a file on sample params
from several places on a track, as the console does before it lets a model train, and reports
every problem with the params that caused it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from deepracer_common.race import DEFAULT_TRACK

# The example reward functions shipped with the package (`template:<name>`).
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_PREFIX = "template:"
DEFAULT_VALIDATION_POSITIONS = 10


class RewardSourceError(ValueError):
    """The reward function file or template named in a config or on the command line does not exist."""


def list_templates() -> dict[str, str]:
    """Template name -> first line of its docstring."""
    templates = {}
    for path in sorted(TEMPLATES_DIR.glob("*.py")):
        text = path.read_text()
        summary = ""
        if text.startswith('"""'):
            summary = text[3:].split("\n", 1)[0].strip()
        templates[path.stem] = summary
    return templates


def resolve_reward_source(spec: str | Path) -> Path:
    """A path to a reward file from `template:<name>`, a template name, or a file path."""
    text = str(spec)
    if text.startswith(TEMPLATE_PREFIX):
        name = text[len(TEMPLATE_PREFIX):]
        path = TEMPLATES_DIR / f"{name}.py"
        if not path.is_file():
            raise RewardSourceError(f"no reward template {name!r}; templates: {', '.join(list_templates())}")
        return path
    path = Path(text)
    if path.is_file():
        return path
    if (TEMPLATES_DIR / f"{text}.py").is_file() and not path.suffix:
        return TEMPLATES_DIR / f"{text}.py"
    raise RewardSourceError(
        f"reward function file {text!r} does not exist (give a .py path or template:<name>; "
        f"templates: {', '.join(list_templates())})"
    )


def load_reward(spec: str | Path) -> Callable[[dict], float]:
    from deepracer_sim.race.reward_function import load_reward_function

    return load_reward_function(resolve_reward_source(spec))


@dataclass
class ValidationReport:
    path: str
    track: str
    samples: int = 0
    rewards: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "track": self.track,
            "ok": self.ok,
            "samples": self.samples,
            "reward_min": min(self.rewards) if self.rewards else None,
            "reward_max": max(self.rewards) if self.rewards else None,
            "problems": list(self.problems),
        }


def sample_params(track_name: str | None = None, positions: int = DEFAULT_VALIDATION_POSITIONS, action_space=None):
    """(description, params) pairs: the car at several places round the lap, on and off the road.

    At each position the car heads along the track at the centre line, well left and right of it,
    and past the border; steering, speed and the step counter vary from sample to sample (taken
    from the action space when one is given). A last pair drives the track the other way.
    """
    from deepracer_sim.race.params import reward_params
    from deepracer_sim.tracks import load_track

    track = load_track(track_name or DEFAULT_TRACK)
    if action_space is not None and action_space.type == "discrete":
        commands = [(a.steering_angle, a.speed) for a in action_space.actions]
    elif action_space is not None:
        commands = [
            (action_space.steering_low, action_space.speed_low),
            (0.5 * (action_space.steering_low + action_space.steering_high), action_space.speed_high),
            (action_space.steering_high, 0.5 * (action_space.speed_low + action_space.speed_high)),
        ]
    else:
        commands = [(-30.0, 0.5), (0.0, 1.0), (30.0, 4.0), (15.0, 2.0), (-15.0, 1.33)]
    half = 0.5 * track.width
    lateral = [(0.0, "on the centre line"), (0.6 * half, "left of centre"), (-0.6 * half, "right of centre"),
               (1.4 * half, "past the left border")]
    samples = []
    for index in range(positions):
        fraction = index / positions
        arc = fraction * track.length
        cx, cy = track.point_at(arc)
        yaw = track.heading_at(arc)
        for lat_index, (offset, where) in enumerate(lateral):
            number = len(samples)
            steering, speed = commands[number % len(commands)]
            x = cx - math.sin(yaw) * offset
            y = cy + math.cos(yaw) * offset
            steps = float(2 + (number * 7) % 300)
            params = reward_params(track, x, y, math.degrees(yaw), steering_angle=steering, speed=speed, steps=steps)
            samples.append((f"{fraction:.0%} round the lap, {where}", params))
    reverse = track.reversed()
    cx, cy = reverse.point_at(0.25 * reverse.length)
    yaw = reverse.heading_at(0.25 * reverse.length)
    steering, speed = commands[0]
    params = reward_params(track, cx, cy, math.degrees(yaw), steering_angle=steering, speed=speed, reverse=True,
                           steps=50.0)
    samples.append(("driving the track in reverse", params))
    return samples


def validate_reward_file(
    spec: str | Path, track: str | None = None, positions: int = DEFAULT_VALIDATION_POSITIONS,
    time_limit_s: float | None = None, action_space=None, max_problems: int = 5,
) -> ValidationReport:
    """Check syntax, then run the function on sample params; report problems, at most `max_problems`."""
    from deepracer_sim.race.params import copy_params
    from deepracer_sim.race.reward_function import (
        DEFAULT_TIME_LIMIT_S,
        RewardFunctionError,
        call_reward,
        load_reward_function,
    )

    path = resolve_reward_source(spec)
    report = ValidationReport(path=str(path), track=track or DEFAULT_TRACK)
    try:
        function = load_reward_function(path)
    except RewardFunctionError as error:
        report.problems.append(str(error))
        return report
    limit = DEFAULT_TIME_LIMIT_S if time_limit_s is None else time_limit_s
    for description, params in sample_params(track, positions, action_space):
        report.samples += 1
        try:
            report.rewards.append(call_reward(function, copy_params(params), f"{params['steps']:g} ({description})", limit))
        except RewardFunctionError as error:
            report.problems.append(str(error))
            if len(report.problems) >= max_problems:
                break
    return report
