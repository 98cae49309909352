"""Reward: keep all wheels on the track and do not dawdle (the workshop's third example).

Leaving the track earns almost nothing; on the track, a commanded speed below the threshold earns
half the reward of driving at or above it.
"""

SLOW_SPEED_MS = 1.0


def reward_function(params):
    if not params["all_wheels_on_track"]:
        return 1e-3
    if params["speed"] < SLOW_SPEED_MS:
        return 0.5
    return 1.0
