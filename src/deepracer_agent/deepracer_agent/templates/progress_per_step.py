"""Reward: progress per step, with a lap bonus that grows the fewer steps the lap took (speed benchmark).

progress / steps is the share of the lap covered per step so far, so it is higher for a faster car.
On its own its sum over a lap is about 100 whatever the speed, so a completed lap also earns
10000 / steps: a 70-step lap earns twice the bonus of a 140-step lap. Leaving the track earns
almost nothing.
"""


def reward_function(params):
    if params["is_offtrack"] or not params["all_wheels_on_track"]:
        return 1e-3
    steps = max(float(params["steps"]), 1.0)
    progress = max(float(params["progress"]), 0.0)
    reward = progress / steps
    if progress >= 100.0:
        reward += 10000.0 / steps
    return float(reward)
