"""Speed template: drive the racing line at its speed profile (the line of `deepracer raceline TRACK`).

For racing against the clock. Every step pays for being near the racing line, and more for commanding
the speed the line's profile has at that point; a completed lap earns a bonus that is 100 for a lap
as quick as the line's own standing-start estimate and shrinks with every extra step. Leaving the
track earns almost nothing.

The line is the one `deepracer raceline TRACK` wrote for this track and direction (found from the
params' waypoints, see deepracer_sim.raceline.store); without one it is computed on the first call,
in a fraction of a second. Pair it with the action space `deepracer raceline` suggests (its
--config-out writes a training config with both). It imports deepracer_sim, so it runs in this
simulator (`deepracer validate`, `deepracer train`), not in the AWS console.
"""
import math

from deepracer_sim.raceline import racing_line_for_params

NEAR_WEIGHT = 1.0  # reward for being on the line (falls to 0 half a track width away)
SPEED_WEIGHT = 2.0  # and for matching the line's speed there, when on the line
SPEED_TOLERANCE = 0.5  # m/s off the line's speed that cuts the speed reward to 1/e
LAP_BONUS = 100.0
STEPS_PER_SECOND = 15.0


def reward_function(params):
    if params["is_offtrack"] or not params["all_wheels_on_track"]:
        return 1e-3
    line = racing_line_for_params(params)
    arc, distance = line.locate(params["x"], params["y"])
    nearness = max(0.0, 1.0 - distance / (0.5 * params["track_width"]))
    speed_error = (float(params["speed"]) - line.speed_at(arc)) / SPEED_TOLERANCE
    reward = nearness * (NEAR_WEIGHT + SPEED_WEIGHT * math.exp(-speed_error * speed_error))
    if params["progress"] >= 100.0:
        line_steps = line.standing_lap_time * STEPS_PER_SECOND
        reward += LAP_BONUS * min(1.0, line_steps / max(float(params["steps"]), 1.0))
    return float(max(reward, 1e-3))
