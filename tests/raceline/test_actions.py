"""The action space suggested from a racing line."""
import numpy as np
import pytest

from deepracer_common.action_space import action_space_from_json, discrete_from_garage
from deepracer_sim.raceline import compute_racing_line, suggest_action_space
from deepracer_sim.raceline.actions import control_samples
from deepracer_sim.tracks import load_track


@pytest.mark.parametrize("name", ["crescent_loop", "hairpin_technical", "straight"])
def test_actions_cover_what_the_line_asks_for(name):
    line = compute_racing_line(load_track(name))
    suggestion = suggest_action_space(line)
    steering, speed = control_samples(line)
    actions = np.array(suggestion.actions)
    # The sharpest turn each way and the straight at top speed are there.
    assert actions[:, 0].max() == pytest.approx(steering.max(), abs=0.25)
    if steering.min() < -1.0:
        assert actions[:, 0].min() == pytest.approx(steering.min(), abs=0.25)
    assert (0.0, pytest.approx(line.speed.max(), abs=0.03)) in [tuple(a) for a in actions]
    # The decisions of the lap have an action near them: half within 2.5 degrees and 0.5 m/s (summed as
    # fractions of those), nine in ten within twice that.
    moving = speed >= 0.5
    gaps = np.min(np.abs(steering[moving, None] - actions[None, :, 0]) / 2.5
                  + np.abs(speed[moving, None] - actions[None, :, 1]) / 0.5, axis=1)
    assert np.quantile(gaps, 0.5) < 1.0 and np.quantile(gaps, 0.9) < 2.0
    # Fewer actions than the console's largest grid (7 x 3), within the simulator's limits.
    assert 2 <= len(actions) <= 12
    assert np.all(np.abs(actions[:, 0]) <= 30.0) and np.all((actions[:, 1] > 0) & (actions[:, 1] <= 4.0))


def test_suggestion_is_in_the_forms_deepracer_train_takes():
    suggestion = suggest_action_space(compute_racing_line(load_track("crescent_loop")))
    space = action_space_from_json(suggestion.action_space_json())
    assert [(a.steering_angle, a.speed) for a in space.actions] == suggestion.actions
    garage = {key: value for key, value in suggestion.garage.items() if key != "type"}
    grid = discrete_from_garage(**garage)
    assert grid.max_steering_angle >= max(abs(a) for a, _ in suggestion.actions)
    assert grid.max_speed == pytest.approx(max(v for _, v in suggestion.actions))
    assert suggestion.garage_flags().startswith("--max-steering-angle ")
