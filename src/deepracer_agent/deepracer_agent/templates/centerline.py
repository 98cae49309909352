"""Reward: stay close to the centre line (the workshop's first example).

Three bands around the centre line, as fractions of the track width: the closer the car's front
point is to the centre, the higher the reward. Outside the widest band the car is about to
leave the track, so it gets almost nothing.
"""


def reward_function(params):
    half_width = 0.5 * params["track_width"]
    offset = params["distance_from_center"]

    if offset <= 0.2 * half_width:  # within 10 % of the full width
        return 1.0
    if offset <= 0.5 * half_width:  # within 25 %
        return 0.5
    if offset <= half_width:  # still on the track
        return 0.1
    return 1e-3
