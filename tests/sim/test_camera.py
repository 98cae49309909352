"""The headless camera: geometry of what it shows, stereo, objects, walls, noise, bad input.

The car sits on the long straight of re:Invent 2018 (reinvent_base): its centre line runs
along +x at y = 0.683 from x = 3.06 for about 3 m, so a car at (3.36, 0.683) heading 0 looks
straight down the road.
"""
import math

import numpy as np
import pytest

from deepracer_common import sensor_geometry as g
from deepracer_sim.sensors.camera import CameraRenderer
from deepracer_sim.sensors.scene import WALL_HEIGHT

STRAIGHT = np.array([3.36, 0.683, 0.0])
CENTRE_COLUMN = (g.IMAGE_WIDTH - 1) / 2.0   # 79.5: the optical axis falls between columns 79 and 80
FOCAL = g.camera_focal_length(g.IMAGE_WIDTH)


@pytest.fixture(scope="module")
def mono(reinvent):
    return CameraRenderer(reinvent)


def render_one(renderer, pose, objects=None):
    return renderer.render(np.asarray([pose], dtype=np.float64), objects)[0]


def bright_columns(image, rows, threshold=150):
    """Column centroid and count of the paint (border lines, dashes) in `rows` of a mono frame."""
    band = image[rows, :, 0]
    cols = np.nonzero(band > threshold)[1]
    return cols.mean(), len(cols)


def border_columns(image, row):
    """Centres of the left and right bright runs (the two white border lines) in one row."""
    bright = np.nonzero(image[row, :, 0] > 120)[0]
    left = bright[bright < CENTRE_COLUMN - 20]
    right = bright[bright > CENTRE_COLUMN + 20]
    return left.mean(), right.mean()


def box_ahead(distance, lateral=0.0, kind=0, size=(0.4, 0.3, 0.25), pose=STRAIGHT):
    """An object whose near face is `distance` m ahead of the lens, on the car's heading."""
    x, y, yaw = pose
    along = g.CAMERA_OFFSET_XYZ[0] + distance + size[0] / 2.0
    return np.array([[x + along * math.cos(yaw) - lateral * math.sin(yaw),
                      y + along * math.sin(yaw) + lateral * math.cos(yaw), yaw, *size, kind]])


def test_frame_shape_and_type(reinvent, mono):
    frames = mono.render(np.array([STRAIGHT, STRAIGHT + [0.5, 0.0, 0.0]]))
    assert frames.shape == (2, 120, 160, 1) and frames.dtype == np.uint8
    assert CameraRenderer(reinvent, rgb=True).render(STRAIGHT[None]).shape == (1, 120, 160, 3)
    assert mono.render(np.zeros((0, 3))).shape == (0, 120, 160, 1)


def test_centre_line_in_the_middle_and_borders_symmetric(mono):
    image = render_one(mono, STRAIGHT)
    centroid, count = bright_columns(image, slice(60, 120))
    assert count > 200                      # a dash really is in view
    assert abs(centroid - CENTRE_COLUMN) < 2.0
    for row in (40, 45, 50):
        left, right = border_columns(image, row)
        assert abs((left + right) / 2.0 - CENTRE_COLUMN) < 2.0
        assert right - left > 60             # both lines, well apart


def test_turning_left_moves_the_road_right(mono):
    straight = bright_columns(render_one(mono, STRAIGHT), slice(60, 120))[0]
    turned = render_one(mono, STRAIGHT + [0.0, 0.0, 0.1])
    assert bright_columns(turned, slice(60, 120))[0] > straight + 5
    left, right = border_columns(turned, 45)
    left0, right0 = border_columns(render_one(mono, STRAIGHT), 45)
    assert left > left0 + 5 and right > right0 + 5
    # A yaw of 0.1 rad moves far features by about f * tan(0.1) columns.
    assert (left + right) / 2 - (left0 + right0) / 2 == pytest.approx(FOCAL * math.tan(0.1), abs=4.0)


def test_moving_sideways_shifts_the_centre_line_the_other_way(mono):
    straight = bright_columns(render_one(mono, STRAIGHT), slice(60, 120))[0]
    moved_left = bright_columns(render_one(mono, STRAIGHT + [0.0, 0.1, 0.0]), slice(60, 120))[0]
    moved_right = bright_columns(render_one(mono, STRAIGHT + [0.0, -0.1, 0.0]), slice(60, 120))[0]
    assert moved_left > straight + 10
    assert moved_right < straight - 10


def test_horizon_row_matches_the_pitch(mono):
    image = render_one(mono, STRAIGHT)[:, :, 0].astype(int)
    horizon = g.IMAGE_HEIGHT / 2.0 - FOCAL * math.tan(g.CAMERA_PITCH)   # 26.2
    sky = image[: int(horizon) - 1]
    assert np.all(np.abs(np.diff(sky, axis=1)) <= 1)          # sky rows are uniform across
    assert image[int(horizon) - 2, 5] > image[int(horizon) + 3, 5] + 40   # bright sky over dark floor


def test_box_contact_line_row_matches_the_pinhole_model(mono):
    distance = 1.0
    empty = render_one(mono, STRAIGHT)[:, :, 0].astype(int)
    image = render_one(mono, STRAIGHT, box_ahead(distance))[:, :, 0].astype(int)
    changed_rows = np.nonzero(np.abs(image - empty)[:, 75:85].max(axis=1) > 20)[0]
    # The floor contact line lies distance m ahead of the lens, lens_height below it.
    depression = math.atan2(g.CAMERA_OFFSET_XYZ[2], distance)
    bottom = g.IMAGE_HEIGHT / 2.0 + FOCAL * math.tan(depression - g.CAMERA_PITCH)
    top_height = 0.25 - g.CAMERA_OFFSET_XYZ[2]
    top = g.IMAGE_HEIGHT / 2.0 - FOCAL * math.tan(math.atan2(top_height, distance) + g.CAMERA_PITCH)
    assert changed_rows.max() == pytest.approx(bottom, abs=1.5)
    assert changed_rows.min() == pytest.approx(top, abs=1.5)


def test_objects_behind_or_far_aside_are_not_drawn(mono):
    empty = render_one(mono, STRAIGHT)
    behind = box_ahead(-1.0)
    beside = box_ahead(0.1, lateral=1.5)
    assert np.array_equal(render_one(mono, STRAIGHT, np.concatenate([behind, beside])), empty)


def test_bot_cars_and_boxes_look_different(mono):
    empty = render_one(mono, STRAIGHT)[:, :, 0].astype(int)
    box = render_one(mono, STRAIGHT, box_ahead(1.0, kind=0))[:, :, 0].astype(int)
    bot = render_one(mono, STRAIGHT, box_ahead(1.0, kind=1, size=(0.32, 0.2, 0.2)))[:, :, 0].astype(int)
    box_pixels = box[np.abs(box - empty) > 20]
    bot_pixels = bot[np.abs(bot - empty) > 20]
    assert len(box_pixels) > 300 and len(bot_pixels) > 200
    assert abs(np.median(box_pixels) - np.median(bot_pixels)) > 30
    # The bot car is two-tone: a dark chassis band under a lighter shell.
    assert np.percentile(bot_pixels, 10) < 40 < np.percentile(bot_pixels, 90)


def test_nearer_object_hides_the_farther_one(mono):
    near = box_ahead(0.8)
    far = box_ahead(2.0, kind=1, size=(0.32, 0.2, 0.2))
    both = render_one(mono, STRAIGHT, np.concatenate([far, near]))
    assert np.array_equal(both, render_one(mono, STRAIGHT, near))


def test_object_edges_are_anti_aliased(mono):
    image = render_one(mono, STRAIGHT, box_ahead(1.0, size=(0.4, 0.3, 0.25)))[:, :, 0].astype(int)
    empty = render_one(mono, STRAIGHT)[:, :, 0].astype(int)
    row = 20                                   # above the horizon: box against uniform sky
    sky, box = empty[row, 0], image[row, 80]
    intermediate = [v for v in image[row] if min(sky, box) + 10 < v < max(sky, box) - 10]
    assert 1 <= len(intermediate) <= 4         # one blended pixel at each side edge, not a hard step


def test_small_motions_change_far_rows_smoothly(mono):
    # A 1 mm step moves anything beyond ~1 m by a small fraction of a pixel, so an
    # anti-aliased image changes by a few grey levels there; point-sampled texels would
    # flip between asphalt and paint (about 150 levels).
    poses = np.array([STRAIGHT + [0.001 * k, 0.0, 0.0] for k in range(40)])
    frames = mono.render(poses)[:, 27:50, :, 0].astype(int)
    assert np.abs(np.diff(frames, axis=0)).max() <= 20
    turning = np.array([STRAIGHT + [0.0, 0.0, 0.0005 * k] for k in range(40)])
    frames = mono.render(turning)[:, 27:50, :, 0].astype(int)
    assert np.abs(np.diff(frames, axis=0)).max() <= 25


def test_stereo_channels_and_disparity(reinvent, mono):
    stereo = CameraRenderer(reinvent, stereo=True)
    distance = 0.6
    objects = box_ahead(distance, size=(0.1, 0.1, 0.25))
    frame = render_one(stereo, STRAIGHT, objects)
    assert frame.shape == (120, 160, 2)
    empty = render_one(stereo, STRAIGHT)

    def box_centre(channel):
        changed = np.abs(frame[:, :, channel].astype(int) - empty[:, :, channel].astype(int)) > 20
        return np.nonzero(changed[10:30])[1].mean()

    left, right = box_centre(0), box_centre(1)
    # The left lens sits 3 cm further left, so a near object appears further right in it.
    expected = FOCAL * 2 * g.STEREO_BASELINE_Y / distance
    assert left - right == pytest.approx(expected, abs=1.5)
    # Each lens sees the mono view shifted by half the disparity.
    centre = np.nonzero(np.abs(render_one(mono, STRAIGHT, objects)[10:30, :, 0].astype(int)
                               - render_one(mono, STRAIGHT)[10:30, :, 0].astype(int)) > 20)[1].mean()
    assert left > centre > right


def test_mono_is_the_luma_of_rgb(reinvent, mono):
    rgb = CameraRenderer(reinvent, rgb=True)
    objects = np.concatenate([box_ahead(1.0), box_ahead(2.5, lateral=-0.2, kind=1, size=(0.32, 0.2, 0.2))])
    colour = render_one(rgb, STRAIGHT, objects).astype(float)
    luma = colour @ np.array(g.LUMA_WEIGHTS)
    assert np.abs(luma - render_one(mono, STRAIGHT, objects)[:, :, 0]).max() <= 2.0
    # and the floor is coloured: green carpet beside the track, dark asphalt on it
    assert colour[45, 2, 1] > colour[45, 2, 0] + 20
    assert colour[110, 40].max() - colour[110, 40].min() < 10


def test_batch_equals_single_frames_and_per_pose_objects(mono):
    poses = np.array([STRAIGHT, STRAIGHT + [0.3, 0.05, 0.05], STRAIGHT + [1.0, -0.1, -0.1]])
    objects = np.stack([box_ahead(1.0, pose=p) for p in poses])      # (3, 1, 7): one box per car
    batch = mono.render(poses, objects)
    for i, pose in enumerate(poses):
        assert np.array_equal(batch[i], render_one(mono, pose, objects[i]))
    shared = mono.render(poses, objects[0])
    assert np.array_equal(shared[0], batch[0]) and not np.array_equal(shared[1], batch[1])
    # Per-pose sets may differ in size when given as a list.
    ragged = mono.render(poses, [objects[0], np.zeros((0, 7)), np.concatenate([objects[2], objects[1]])])
    assert np.array_equal(ragged[0], batch[0])
    assert np.array_equal(ragged[1], render_one(mono, poses[1]))
    assert np.array_equal(ragged[2], render_one(mono, poses[2], np.concatenate([objects[2], objects[1]])))


def test_walls_rise_above_the_horizon(reinvent, mono):
    walled = CameraRenderer(reinvent, walls=True)
    image = render_one(walled, STRAIGHT)[:, :, 0].astype(int)
    plain = render_one(mono, STRAIGHT)[:, :, 0].astype(int)
    horizon = int(g.IMAGE_HEIGHT / 2.0 - FOCAL * math.tan(g.CAMERA_PITCH))
    # A barrier taller than the lens hides the horizon at the image sides...
    assert np.abs(image[horizon - 2, :20] - plain[horizon - 2, :20]).min() > 10
    # ...and leaves the near road untouched.
    assert np.array_equal(image[90:], plain[90:])
    assert WALL_HEIGHT > g.CAMERA_OFFSET_XYZ[2]


def test_far_from_the_track_shows_carpet_and_sky(reinvent):
    # Regression: with no wall in view every azimuth bin is empty (inf); this once crashed.
    for walls in (False, True):
        frames = CameraRenderer(reinvent, walls=walls).render(np.array([[100.0, 100.0, 0.3], [1e4, -1e4, 2.0]]))
        floor = frames[:, 40:, :, 0].astype(int)
        # nothing but carpet, fading a little into the haze towards the horizon
        assert np.all(floor.max(axis=2) - floor.min(axis=2) <= 1)
        assert np.abs(floor - floor[0, -1, 0]).max() <= 6
        assert np.abs(frames[0].astype(int) - frames[1].astype(int)).max() <= 3


def test_noise_only_with_a_seed_and_reproducible(reinvent, mono):
    pose = STRAIGHT[None]
    assert np.array_equal(mono.render(pose), mono.render(pose))
    noisy_a = CameraRenderer(reinvent, seed=7).render(np.repeat(pose, 2, axis=0))
    noisy_b = CameraRenderer(reinvent, seed=7).render(np.repeat(pose, 2, axis=0))
    assert np.array_equal(noisy_a, noisy_b)
    assert not np.array_equal(noisy_a[0], noisy_a[1])
    difference = noisy_a[0].astype(int) - mono.render(pose)[0].astype(int)
    assert 1.0 < difference[40:].std() < 3.5


@pytest.mark.parametrize(
    "poses, objects, message",
    [
        (np.zeros(3), None, "poses must have shape"),
        (np.zeros((2, 2)), None, "poses must have shape"),
        (np.array([[0.0, np.nan, 0.0]]), None, "poses row 0 is not finite"),
        (np.zeros((1, 3)), np.zeros((1, 6)), "objects must have shape"),
        (np.zeros((1, 3)), np.array([[0, 0, 0, 0.4, 0.3, 0.25, 2]]), "kind"),
        (np.zeros((1, 3)), np.array([[0, 0, 0, 0.4, -0.3, 0.25, 0]]), "height <= 0"),
        (np.zeros((1, 3)), np.array([[0, np.inf, 0, 0.4, 0.3, 0.25, 0]]), "not finite"),
        (np.zeros((2, 3)), np.zeros((3, 1, 7)), "one per pose"),
        (np.zeros((2, 3)), [np.zeros((0, 7)), np.zeros((1, 6))], r"objects\[1\]: objects must have shape"),
    ],
)
def test_bad_input_raises_clear_errors(mono, poses, objects, message):
    with pytest.raises(ValueError, match=message):
        mono.render(poses, objects)


def test_bad_configuration(reinvent):
    with pytest.raises(ValueError, match="stereo"):
        CameraRenderer(reinvent, stereo=True, rgb=True)

    class NoBorders:
        centre = np.zeros((5, 2))
        is_loop = True

    with pytest.raises(ValueError, match="inner"):
        CameraRenderer(NoBorders())
