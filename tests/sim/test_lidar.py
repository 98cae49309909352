"""The rear-facing LIDAR: ray convention, distances to boxes, walls, noise, and the three
observation transforms of docs/deepracer-semantics.md#lidar on hand-made range vectors."""
import math

import numpy as np
import pytest

from deepracer_common import sensor_geometry as g
from deepracer_common.observations import lidar_observation
from deepracer_sim.sensors.lidar import Lidar

MOUNT_X = g.LIDAR_OFFSET_XYZ[0]
BOX = (0.4, 0.3, 0.25)   # the simulator's box obstacle


@pytest.fixture(scope="module")
def lidar(reinvent):
    return Lidar(reinvent)


def box_at(x, y, yaw=0.0, size=BOX, kind=0):
    return np.array([[x, y, yaw, *size, kind]])


def expected_range(angle, box, origin=(MOUNT_X, 0.0)):
    """Distance from origin along `angle` to an axis-aligned (yaw 0) box, by the slab method."""
    x, y, _, length, width = box[0, :5]
    dx, dy = math.cos(angle), math.sin(angle)
    near, far = -math.inf, math.inf
    for o, d, low, high in ((origin[0], dx, x - length / 2, x + length / 2), (origin[1], dy, y - width / 2, y + width / 2)):
        if abs(d) < 1e-12:
            if not low <= o <= high:
                return math.inf
            continue
        t1, t2 = sorted(((low - o) / d, (high - o) / d))
        near, far = max(near, t1), min(far, t2)
    return near if near <= far and near > 0 else math.inf


def test_ray_convention_matches_the_rear_facing_mount():
    angles = g.lidar_ray_angles_in_car_frame()
    assert len(angles) == 64
    assert angles[0] == pytest.approx(math.radians(30.0), abs=1e-4)       # front-left
    assert angles[-1] == pytest.approx(2 * math.pi - math.radians(30.0), abs=1e-4)   # front-right
    assert np.all(np.diff(angles) > 0)                                    # counter-clockwise
    assert angles[31] < math.pi < angles[32]                              # straight back between 31 and 32


def test_box_directly_behind_is_seen_at_the_right_distance(lidar):
    box = box_at(-1.0, 0.0)
    ranges = lidar.scan(np.zeros((1, 3)), box)[0]
    angles = g.lidar_ray_angles_in_car_frame()
    expected = np.array([expected_range(a, box) for a in angles])
    hit = np.isfinite(expected)
    assert hit.sum() >= 2 and hit[31] and hit[32]
    np.testing.assert_allclose(ranges[hit], expected[hit], atol=0.02)
    assert np.all(np.isinf(ranges[~hit]))
    # The nearest face is 0.8 m behind base_link, the LIDAR 0.029 m ahead of it.
    assert ranges[31] == pytest.approx((0.8 + MOUNT_X) / abs(math.cos(angles[31])), abs=1e-4)


def test_box_directly_ahead_is_not_seen(lidar):
    assert np.all(np.isinf(lidar.scan(np.zeros((1, 3)), box_at(1.0, 0.0))))


def test_box_beside_the_car(lidar):
    box = box_at(0.0, 1.0)   # left
    ranges = lidar.scan(np.zeros((1, 3)), box)[0]
    angles = g.lidar_ray_angles_in_car_frame()
    expected = np.array([expected_range(a, box) for a in angles])
    hit = np.isfinite(expected)
    assert 3 <= hit.sum() <= 6 and hit[13]          # ray 13 points at ~ +90 deg
    np.testing.assert_allclose(ranges[hit], expected[hit], atol=0.02)
    assert np.isinf(ranges[~hit]).all()
    right = lidar.scan(np.zeros((1, 3)), box_at(0.0, -1.0))[0]
    np.testing.assert_allclose(right[::-1][hit], expected[hit], atol=0.02)   # mirror image


def test_ray_zero_points_front_left(lidar):
    # A thin post 1 m away at +30 deg from the LIDAR is only caught by the first ray.
    post = box_at(MOUNT_X + math.cos(math.radians(30.0)), math.sin(math.radians(30.0)), size=(0.02, 0.02, 0.3))
    ranges = lidar.scan(np.zeros((1, 3)), post)[0]
    assert np.isfinite(ranges[0]) and ranges[0] == pytest.approx(0.99, abs=0.02)
    assert np.isinf(ranges[1:]).all()


def test_pose_transform_and_yawed_boxes(lidar):
    # The same scene rotated and moved must give the same ranges.
    box = np.array([[-0.9, 0.3, 0.4, *BOX, 0]])
    base = lidar.scan(np.zeros((1, 3)), box)[0]
    yaw, shift = 1.1, np.array([4.0, -2.0])
    c, s = math.cos(yaw), math.sin(yaw)
    moved = box.copy()
    moved[0, :2] = shift + [c * box[0, 0] - s * box[0, 1], s * box[0, 0] + c * box[0, 1]]
    moved[0, 2] += yaw
    other = lidar.scan(np.array([[*shift, yaw]]), moved)[0]
    assert np.isfinite(base).sum() >= 3
    np.testing.assert_allclose(other, base, atol=1e-5)


def test_low_objects_far_objects_and_too_close(lidar):
    low = box_at(-1.0, 0.0, size=(0.4, 0.3, 0.1))    # below the 0.185 m scan plane
    assert np.isinf(lidar.scan(np.zeros((1, 3)), low)).all()
    far = box_at(-13.0, 0.0)
    assert np.isinf(lidar.scan(np.zeros((1, 3)), far)).all()
    touching = box_at(-0.15, 0.0, size=(0.2, 0.3, 0.25))   # face 0.08 m behind the LIDAR
    ranges = lidar.scan(np.zeros((1, 3)), touching)[0]
    assert ranges[31] == pytest.approx(g.LIDAR_RANGE_MIN)


def test_per_pose_objects_and_dtype(lidar):
    poses = np.zeros((2, 3))
    objects = np.stack([box_at(-1.0, 0.0), box_at(-2.0, 0.0)])    # (2, 1, 7)
    ranges = lidar.scan(poses, objects)
    assert ranges.shape == (2, 64) and ranges.dtype == np.float32
    assert ranges[0, 31] == pytest.approx(0.8 + MOUNT_X, abs=0.01)
    assert ranges[1, 31] == pytest.approx(1.8 + MOUNT_X, abs=0.01)


def test_walls_surround_the_car_on_track(reinvent):
    pose = np.array([[3.36, 0.683, 0.0]])
    walled = Lidar(reinvent, walls=True).scan(pose)[0]
    assert np.isinf(Lidar(reinvent).scan(pose)).all()
    assert np.isfinite(walled).all()
    # Straight left and right of the car the barriers stand beyond the border lines.
    half_width = 0.762 / 2
    assert half_width < walled[13] < half_width + 0.6
    assert half_width < walled[50] < half_width + 0.6


def test_noise_only_with_a_seed(reinvent):
    pose = np.zeros((400, 3))
    box = box_at(-1.0, 0.0)
    exact = Lidar(reinvent).scan(pose, box)
    assert np.all(exact == exact[0])
    noisy = Lidar(reinvent, seed=3).scan(pose, box)
    again = Lidar(reinvent, seed=3).scan(pose, box)
    np.testing.assert_array_equal(noisy, again)
    error = (noisy[:, 31] - exact[:, 31]).astype(float)
    assert abs(error.mean()) < 0.003 and 0.008 < error.std() < 0.012
    assert np.isinf(noisy[:, 0]).all()     # rays that hit nothing stay inf


@pytest.mark.parametrize(
    "poses, objects, message",
    [
        (np.zeros(3), None, "poses must have shape"),
        (np.array([[np.nan, 0.0, 0.0]]), None, "not finite"),
        (np.zeros((1, 3)), np.zeros((2, 5)), "objects must have shape"),
        (np.zeros((1, 3)), np.array([[0, 0, 0, 0.4, 0.3, 0.25, 5]]), "kind"),
    ],
)
def test_scan_bad_input(lidar, poses, objects, message):
    with pytest.raises(ValueError, match=message):
        lidar.scan(poses, objects)


# --- observations --------------------------------------------------------------------------------

def test_lidar_observation_clips_and_replaces_inf():
    ranges = np.full(64, np.inf)
    ranges[:5] = [0.05, 0.15, 0.5, 1.0, 3.0]
    obs = lidar_observation(ranges, "LIDAR")
    assert obs.shape == (64,) and obs.dtype == np.float32
    np.testing.assert_array_equal(obs[:5], np.float32([0.15, 0.15, 0.5, 1.0, 1.0]))
    assert np.all(obs[5:] == 1.0)
    batch = lidar_observation(np.stack([ranges, np.full(64, 0.7)]), "LIDAR")
    assert batch.shape == (2, 64) and np.all(batch[1] == np.float32(0.7))


def test_sector_lidar_flags_sectors_with_something_within_half_a_metre():
    ranges = np.full(64, np.inf)
    ranges[3] = 0.49        # sector 0: < 0.5 -> 1
    ranges[8:16] = 0.5      # sector 1: exactly 0.5 is not < 0.5 -> 0
    ranges[31] = 0.1        # sector 3 -> 1
    ranges[63] = 0.2        # sector 7 -> 1
    obs = lidar_observation(ranges, "SECTOR_LIDAR")
    assert obs.dtype == np.float32
    np.testing.assert_array_equal(obs, np.float32([1, 0, 0, 1, 0, 0, 0, 1]))


def test_discretized_sector_lidar_default_config():
    # Defaults: 8 sectors, 8 values per sector, clipping 2.0 m -> bins 0.25 m wide.
    ranges = np.full(64, np.inf)
    sector_min = [0.0001, 0.24, 0.25, 1.99, 2.0, np.inf, 5.0, 0.6]
    for sector, value in enumerate(sector_min):
        ranges[sector * 8 + 2] = value
    ranges[8 * 7] = 1.2      # the minimum of sector 7 is still 0.6
    obs = lidar_observation(ranges, "DISCRETIZED_SECTOR_LIDAR")
    assert obs.shape == (64,) and obs.dtype == np.float32
    expected = np.zeros((8, 8), dtype=np.float32)
    for sector, column in {0: 0, 1: 0, 2: 1, 3: 7, 7: 2}.items():
        expected[sector, column] = 1.0
    # sectors 4 (= clip), 5 (inf), 6 (> clip) fall in the dropped "nothing within clip" column
    np.testing.assert_array_equal(obs.reshape(8, 8), expected)


def test_discretized_sector_lidar_custom_config_and_batches():
    config = {"num_sectors": 4, "num_values_per_sector": 2, "clipping_dist": 1.0}
    ranges = np.full(64, np.inf)
    ranges[0] = 0.2          # sector 0 -> bin 0
    ranges[20] = 0.5         # sector 1 -> bin 1
    ranges[40] = 0.999       # sector 2 -> bin 1
    obs = lidar_observation(ranges, "DISCRETIZED_SECTOR_LIDAR", config)
    np.testing.assert_array_equal(obs, np.float32([1, 0, 0, 1, 0, 1, 0, 0]))
    batch = lidar_observation(np.stack([ranges, np.full(64, np.inf)]), "DISCRETIZED_SECTOR_LIDAR", config)
    assert batch.shape == (2, 8)
    np.testing.assert_array_equal(batch[0], obs)
    assert not batch[1].any()


def test_real_scan_through_every_observation(lidar):
    # Box face 0.4 m behind base_link: 0.429 m from the LIDAR, seen by the rays around the rear
    # (sectors 3 and 4 of 8).
    ranges = lidar.scan(np.zeros((1, 3)), box_at(-0.6, 0.0))
    assert lidar_observation(ranges, "LIDAR")[0, 31] == pytest.approx(0.4 + MOUNT_X, abs=0.01)
    assert lidar_observation(ranges, "SECTOR_LIDAR")[0].tolist() == [0, 0, 0, 1, 1, 0, 0, 0]
    discretized = lidar_observation(ranges, "DISCRETIZED_SECTOR_LIDAR").reshape(8, 8)
    assert discretized[3, 1] == 1.0 and discretized[4, 1] == 1.0 and discretized.sum() == 2.0   # 0.43 m -> bin 1
    far = lidar.scan(np.zeros((1, 3)), box_at(-0.7, 0.0))    # 0.529 m: no longer "within 0.5 m"
    assert not lidar_observation(far, "SECTOR_LIDAR").any()


@pytest.mark.parametrize(
    "ranges, sensor, config, message",
    [
        (np.ones(64), "CAMERA", None, "unknown LIDAR sensor"),
        (np.ones(63), "LIDAR", None, "shape"),
        (np.ones((2, 3, 64)), "LIDAR", None, "shape"),
        (np.array([np.nan] * 64), "LIDAR", None, "NaN"),
        (np.ones(64), "DISCRETIZED_SECTOR_LIDAR", {"num_sectors": 3}, "num_sectors"),
        (np.ones(64), "DISCRETIZED_SECTOR_LIDAR", {"num_values_per_sector": 0}, "num_values_per_sector"),
        (np.ones(64), "DISCRETIZED_SECTOR_LIDAR", {"clipping_dist": 20.0}, "clipping_dist"),
        (np.ones(64), "DISCRETIZED_SECTOR_LIDAR", [8, 8, 2.0], "lidar_config"),
        (np.ones(64), "LIDAR", {"clipping_dist": 0.01}, "clipping_dist"),
    ],
)
def test_observation_bad_input(ranges, sensor, config, message):
    with pytest.raises(ValueError, match=message):
        lidar_observation(ranges, sensor, config)
