"""Message conversions without a running node: params survive the topic exactly, images and scans convert right."""
from __future__ import annotations

import math

import numpy as np
import pytest
from sensor_msgs.msg import Image, LaserScan

from deepracer_agent.nodes.observations import scan_to_rays
from deepracer_common import sensor_geometry as geometry
from deepracer_common.ros import messages
from deepracer_interfaces.msg import SimStep
from deepracer_sim.race.params import reward_params
from deepracer_sim.tracks import load_track


@pytest.mark.parametrize("objects,bot_speed", [((), None), (((1.0, 2.0, 0.3), (0.5, -1.0, 1.2)), 0.4)])
def test_params_cross_the_topic_bit_for_bit(objects, bot_speed):
    track = load_track("crescent_loop")
    x, y = track.centre[5]
    params = reward_params(track, float(x), float(y), 12.5, steering_angle=-15.0, speed=0.67, objects=objects,
                           bot_car_speed=bot_speed, steps=7.0, sim_time=3.2)
    msg = SimStep()
    messages.params_to_msg(params, msg.params)
    waypoints = messages.waypoints_from_track_msg(messages.track_to_msg(track))
    # Through serialisation as on the wire: a new message from the same fields.
    received = messages.msg_to_params(type(msg.params)(**{f: getattr(msg.params, f)
                                                          for f in msg.params.get_fields_and_field_types()}),
                                      waypoints)
    assert list(received) == list(params)  # same keys, same order
    for key, value in params.items():
        assert received[key] == value, key
        assert type(received[key]) is type(value) or (isinstance(value, tuple) and key == "waypoints"), key
    assert received["waypoints"] == [tuple(w) for w in params["waypoints"]]
    assert received["speed"] == 0.67  # float64 on the wire: no float32 rounding


def test_colour_frames_become_the_simulators_grey():
    rgb = np.random.default_rng(1).integers(0, 256, size=(120, 160, 3), dtype=np.uint8)
    as_rgb = Image(width=160, height=120, encoding="rgb8", step=480, data=rgb.tobytes())
    as_bgr = Image(width=160, height=120, encoding="bgr8", step=480, data=rgb[:, :, ::-1].tobytes())
    grey_rgb = messages.image_to_gray(as_rgb, 160, 120)
    grey_bgr = messages.image_to_gray(as_bgr, 160, 120)
    assert grey_rgb.shape == (120, 160, 1) and grey_rgb.dtype == np.uint8
    assert np.array_equal(grey_rgb, grey_bgr)
    expected = np.floor(rgb.astype(np.float64) @ np.array(geometry.LUMA_WEIGHTS) + 0.5).astype(np.uint8)
    assert np.array_equal(grey_rgb[:, :, 0], expected)
    # Row padding (step > width) is skipped, not read as pixels.
    padded = np.zeros((120, 170), dtype=np.uint8)
    padded[:, :160] = grey_rgb[:, :, 0]
    mono = Image(width=160, height=120, encoding="mono8", step=170, data=padded.tobytes())
    assert np.array_equal(messages.image_to_gray(mono, 160, 120), grey_rgb)
    with pytest.raises(messages.MessageError, match="160x120"):
        messages.image_to_gray(Image(width=640, height=480, encoding="mono8", step=640, data=bytes(640 * 480)),
                               160, 120)


def test_a_360_degree_scan_is_resampled_to_the_simulators_rays():
    # An RPLIDAR-like scan: 360 beams from 0 to 2π, the range of each beam = 1 + its angle in radians.
    count = 360
    increment = 2 * math.pi / count
    angles = np.arange(count) * increment
    ranges = 1.0 + angles
    ranges[10] = float("inf")
    scan = LaserScan(angle_min=0.0, angle_max=float(angles[-1]), angle_increment=increment, range_min=0.15,
                     range_max=12.0, ranges=[float(r) for r in ranges])
    rays = scan_to_rays(scan)
    wanted = geometry.LIDAR_ANGLE_MIN + geometry.LIDAR_ANGLE_INCREMENT * np.arange(64)
    nearest = np.round(np.mod(wanted, 2 * math.pi) / increment).astype(int) % count
    expected = ranges.astype(np.float32).astype(np.float64)[nearest]  # LaserScan ranges are float32
    assert rays.shape == (64,)
    assert np.array_equal(rays, expected)
    # The simulator's own scan passes through unchanged, inf and all.
    own = np.full(64, np.inf)
    own[3] = 0.7
    passthrough = LaserScan(angle_min=geometry.LIDAR_ANGLE_MIN, angle_max=geometry.LIDAR_ANGLE_MAX,
                            angle_increment=geometry.LIDAR_ANGLE_INCREMENT, range_min=0.15, range_max=12.0,
                            ranges=[float(v) for v in own])
    assert np.array_equal(scan_to_rays(passthrough), own.astype(np.float32).astype(np.float64))
