"""Reward: follow the centre line without zig-zagging (the workshop's second example).

The centre-line bands of centerline.py, scaled down by 20 % whenever the commanded steering angle
is sharper than 15 degrees either way, so the policy learns to prefer smooth steering.
"""

SHARP_STEERING_DEG = 15.0


def reward_function(params):
    half_width = 0.5 * params["track_width"]
    offset = params["distance_from_center"]

    if offset <= 0.2 * half_width:
        reward = 1.0
    elif offset <= 0.5 * half_width:
        reward = 0.5
    elif offset <= half_width:
        reward = 0.1
    else:
        reward = 1e-3

    if abs(params["steering_angle"]) > SHARP_STEERING_DEG:
        reward *= 0.8
    return float(reward)
