"""Headless renderer for the DeepRacer front camera (mono, stereo or RGB), 160x120, no OpenGL.

The camera is fixed to the car and the floor is flat, so where each pixel's ray meets the
floor, in the car's frame, never changes. Those floor points are computed once; a frame is
then "move the points with the car, read the floor picture under them" (texture.py), plus
the sky, the optional walls and the boxes of obstacles and bot cars, all in one compiled
loop over a batch of poses.

Anti-aliasing follows the real pipeline's spirit (Gazebo renders 640x480 with mipmapped
textures, PIL resizes bilinearly to 160x120): every floor read comes from a prefiltered
texture level matched to the patch of floor the pixel covers, far pixels (which cover long
thin patches) average several reads along the view direction, near pixels draw the paint
from distance fields so magnified edges stay straight and sharp, and the horizon, wall tops
and box outlines get fractional coverage.

Conventions: poses are base_link [x, y, yaw] in the world frame (yaw CCW from +x). Image
column 0 is the left of the picture (the car's +y side), row 0 the top. Stereo channel 0 is
the left lens (y = +0.03 m).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from deepracer_common import sensor_geometry as g
from deepracer_sim.sensors._boxes import draw_objects
from deepracer_sim.sensors._kernels import FASTMATH, cast_segments_polar
from deepracer_sim.sensors.scene import (
    OBJECT_KIND_BOT_CAR,
    OBJECT_KIND_BOX,
    WALL_HEIGHT,
    check_track,
    flatten_objects,
    validate_poses,
    wall_segments,
)
from deepracer_sim.sensors.texture import BORDER_PAINT_DEPTH, SDF_STEP, build_floor_texture

# --- look of the things that are not floor (RGB) -----------------------------------------------
COLOR_SKY_HORIZON = (205, 214, 224)
COLOR_SKY_ZENITH = (120, 160, 214)
COLOR_WALL = (196, 198, 204)
COLOR_WALL_TOP = (232, 90, 40)        # a bright cap line, like taped track barriers
COLOR_BOX = (196, 160, 112)           # cardboard
COLOR_BOT_BODY = (214, 52, 46)        # bot cars: red shell ...
COLOR_BOT_CHASSIS = (34, 34, 38)      # ... over a dark chassis and wheels
BOT_CHASSIS_FRACTION = 0.4            # lower part of a bot car's box drawn as chassis
WALL_TOP_FRACTION = 0.15
SUN_DIRECTION = (0.35, 0.25, 0.90)    # world frame, towards the light; shades the walls
LIGHT_AZIMUTH = 0.6                   # rad, world frame; side faces of boxes facing it are lightest
AMBIENT = 0.55

# --- floor sampling -------------------------------------------------------------------------------
HAZE_DISTANCE = 40.0   # m; far floor fades towards the horizon colour, hiding the horizon's stair-steps
FAR_FLOOR = 60.0       # m; rays that meet the floor further away read it at this distance
MAX_ANISOTROPY = 2.5   # a floor read may cover a patch up to this many times longer than wide
MAX_READS_PER_PIXEL = 3
SDF_BELOW_TEXELS = 0.6  # pixels covering less floor than this many texels draw markings from distance fields
CAMERA_NOISE_STDDEV = 2.0  # grey levels, only when a seed is given


class _PixelRays:
    """Ray of every pixel of the 160x120 image, in base_link axes, from the lens."""

    def __init__(self) -> None:
        self.width, self.height = g.IMAGE_WIDTH, g.IMAGE_HEIGHT
        self.focal = g.camera_focal_length(self.width)
        self.cx, self.cy = self.width / 2.0, self.height / 2.0
        self.cos_pitch, self.sin_pitch = math.cos(g.CAMERA_PITCH), math.sin(g.CAMERA_PITCH)
        self.lens_height = g.CAMERA_OFFSET_XYZ[2]
        # Image row where the floor meets the sky (continuous; rows grow downwards).
        self.horizon_row = self.cy - self.focal * math.tan(g.CAMERA_PITCH)

    def direction(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Unnormalised direction through image point (u, v) (pixel units, centre of pixel 0 = 0.5)."""
        left = -(u - self.cx) / self.focal
        up = -(v - self.cy) / self.focal
        return (self.cos_pitch + up * self.sin_pitch, left, -self.sin_pitch + up * self.cos_pitch)


def _sky_colour(elevation: np.ndarray) -> np.ndarray:
    blend = np.clip(elevation / 0.6, 0.0, 1.0)[..., None] ** 0.7
    return (1.0 - blend) * np.asarray(COLOR_SKY_HORIZON, float) + blend * np.asarray(COLOR_SKY_ZENITH, float)


def _to_channels(rgb: np.ndarray, rgb_mode: bool) -> np.ndarray:
    """(..., 3) RGB floats -> (..., 3) or (..., 1) luma floats."""
    rgb = np.asarray(rgb, dtype=np.float64)
    if rgb_mode:
        return rgb
    return (rgb @ np.asarray(g.LUMA_WEIGHTS))[..., None]


class CameraRenderer:
    """Renders what the DeepRacer camera(s) see for a batch of car poses.

    channels: 1 (mono, default), 2 (stereo, left lens = channel 0) or 3 (rgb). Mono and
    stereo use the simulator's grayscale Y = 0.2989 R + 0.5870 G + 0.1140 B.
    walls=True adds low barriers (scene.WALL_HEIGHT tall, scene.WALL_OFFSET outside the
    borders). seed=None renders noise-free, deterministic frames; an integer seed adds
    Gaussian pixel noise (CAMERA_NOISE_STDDEV grey levels) from a generator seeded with it.
    """

    def __init__(self, track: Any, stereo: bool = False, rgb: bool = False, walls: bool = False,
                 seed: int | None = None):
        if stereo and rgb:
            raise ValueError("stereo cameras are grayscale, as in the AWS simulator; stereo=True and rgb=True cannot be combined")
        check_track(track)
        self.stereo, self.rgb, self.walls = bool(stereo), bool(rgb), bool(walls)
        self.channels = 2 if stereo else (3 if rgb else 1)
        self.shape = (g.IMAGE_HEIGHT, g.IMAGE_WIDTH, self.channels)
        self._texture = build_floor_texture(track, rgb=self.rgb)
        self._rays = _PixelRays()
        self._lenses = np.array(g.camera_lens_offsets(self.stereo), dtype=np.float64)
        self._build_floor_reads()
        self._build_wall_fan(track)
        self._build_colours()
        self._rng = None if seed is None else np.random.default_rng(seed)
        if self._rng is not None:
            bank = self._rng.normal(0.0, CAMERA_NOISE_STDDEV, size=4 * g.IMAGE_WIDTH * g.IMAGE_HEIGHT * self.channels)
            self._noise = bank.astype(np.float32)
        else:
            self._noise = np.zeros(1, dtype=np.float32)

    # --- precomputation ----------------------------------------------------------------------------

    def _build_floor_reads(self) -> None:
        """Floor reads, organised by image row.

        Along one image row every pixel's ray meets the floor at the same distance ahead of
        the lens, and the points are evenly spaced sideways; so a row (or a slice of a row,
        when far pixels are split into several reads along the view direction) is fully
        described by its forward distance, the sideways position of column 0 and the step per
        column, plus the texture level and weight shared by the whole row. Per pixel:
        value = constant + sum over the row's slices of weight * texel(level, point).
        """
        rays, tex = self._rays, self._texture
        width, height = rays.width, rays.height
        focal, cx = rays.focal, rays.cx

        def forward_and_scale(v):
            """Forward distance of the floor point under image row v and metres per column."""
            dx, _, dz = rays.direction(np.asarray(cx), np.asarray(v, dtype=np.float64))
            with np.errstate(divide="ignore"):
                t = np.where(dz < 0.0, rays.lens_height / np.where(dz < 0.0, -dz, 1.0), np.inf)
            t = np.minimum(t, FAR_FLOOR / dx)
            return t * dx, t / focal

        row_top = np.arange(height, dtype=np.float64)
        floor_top = np.maximum(row_top, rays.horizon_row)
        coverage = np.clip(row_top + 1.0 - rays.horizon_row, 0.0, 1.0)
        horizon_colour = _to_channels(COLOR_SKY_HORIZON, self.rgb)
        channels = horizon_colour.shape[-1]
        constant = np.zeros((height, width, channels))

        slice_row, slice_forward, slice_side0, slice_step, slice_level, slice_weight = [], [], [], [], [], []
        slice_sharpness = []
        for row in np.flatnonzero(coverage > 0.0):
            span = row_top[row] + 1.0 - floor_top[row]
            near, _ = forward_and_scale(row_top[row] + 1.0)
            far, _ = forward_and_scale(floor_top[row])
            _, lateral = forward_and_scale(floor_top[row] + span / 2.0)
            # Split only where a pixel's long side spans several texels: a magnified texture
            # is smooth already and cannot alias.
            sharpest = MAX_ANISOTROPY * max(lateral, tex.base_texel)
            count = int(np.clip(np.ceil((far - near) / sharpest), 1, MAX_READS_PER_PIXEL))
            for k in range(count):
                v = floor_top[row] + (k + 0.5) / count * span
                half = 0.5 * span / count
                forward, metres_per_column = forward_and_scale(v)
                along = forward_and_scale(v - half)[0] - forward_and_scale(v + half)[0]
                footprint = max(metres_per_column, along)
                level = int(np.clip(np.rint(2.0 * np.log2(footprint / tex.base_texel)), 0, tex.levels - 1))
                haze = 1.0 - math.exp(-forward / HAZE_DISTANCE)
                share = coverage[row] / count
                slice_row.append(row)
                slice_forward.append(forward)
                # Column c's centre is at image x = c + 0.5; +y (left) is towards column 0.
                slice_side0.append(metres_per_column * (cx - 0.5))
                slice_step.append(-metres_per_column)
                slice_level.append(level)
                slice_weight.append(share * (1.0 - haze))
                # Magnified texels: draw the markings from the distance fields, edges one
                # footprint wide.
                magnified = footprint < SDF_BELOW_TEXELS * tex.base_texel
                slice_sharpness.append(SDF_STEP / footprint if magnified else 0.0)
                constant[row] += share * haze * horizon_colour

        # Sky share of each pixel, coloured by the elevation of the middle of that share.
        rows, cols = np.mgrid[0:height, 0:width]
        sky_bottom = np.minimum(rows + 1.0, np.maximum(rows, rays.horizon_row))
        dx, dy, dz = rays.direction(cols + 0.5, (rows + sky_bottom) / 2.0)
        elevation = np.maximum(np.arctan2(dz, np.hypot(dx, dy)), 0.0)
        constant += (1.0 - coverage)[:, None, None] * _to_channels(_sky_colour(elevation), self.rgb)

        self._slice_row = np.array(slice_row, dtype=np.int64)
        self._slice_forward = np.array(slice_forward, dtype=np.float64)
        self._slice_side0 = np.array(slice_side0, dtype=np.float64)
        self._slice_step = np.array(slice_step, dtype=np.float64)
        self._slice_level = np.array(slice_level, dtype=np.int64)
        self._slice_weight = np.array(slice_weight, dtype=np.float32)
        self._slice_sharpness = np.array(slice_sharpness, dtype=np.float32)
        self._pixel_constant = np.ascontiguousarray(constant.reshape(-1, channels).T.astype(np.float32))

    def _build_wall_fan(self, track: Any) -> None:
        """Azimuth bins for the walls: one wall distance per bin and frame, looked up per pixel."""
        rays = self._rays
        rows, cols = np.mgrid[0:rays.height, 0:rays.width]
        u = cols.ravel() + 0.5
        v = rows.ravel() + 0.5
        dx, dy, dz = rays.direction(u, v)
        horizontal = np.hypot(dx, dy)
        azimuth = np.arctan2(dy, dx)
        _, _, dz_above = rays.direction(u, v - 0.5)
        _, _, dz_below = rays.direction(u, v + 0.5)
        self._pixel_slope = (dz / horizontal).astype(np.float32)
        slope_step = np.abs(dz_above / horizontal - dz_below / horizontal)
        self._pixel_inv_slope_step = (1.0 / slope_step).astype(np.float32)
        # Per image row, the furthest floor point (horizontally from the lens); rows that
        # show sky reach infinitely far. A wall nearer than that may show in the row.
        with np.errstate(divide="ignore"):
            floor_far = np.where(dz_above < 0.0, rays.lens_height / np.where(dz_above < 0.0, -dz_above, 1.0), np.inf)
        floor_far = (floor_far * np.hypot(*rays.direction(u, v - 0.5)[:2])).reshape(rays.height, rays.width)
        self._row_floor_far = floor_far.max(axis=1)
        # Bins finer than a pixel so wall edges are placed to a fraction of a pixel.
        bins = 4 * rays.width
        edge_dx, edge_dy, _ = rays.direction(np.concatenate([u - 0.5, u + 0.5]), np.concatenate([v, v]))
        edge_azimuth = np.arctan2(edge_dy, edge_dx)
        first, last = float(edge_azimuth.min()), float(edge_azimuth.max())
        step = (last - first) / (bins - 1)
        self._fan_first = first
        self._fan_step = step
        fan = first + step * np.arange(bins)
        self._fan_cos, self._fan_sin = np.cos(fan), np.sin(fan)
        self._pixel_bin = np.rint((azimuth - first) / step).astype(np.int32)
        sub_bins = []
        for offset in (-0.375, -0.125, 0.125, 0.375):
            sdx, sdy, _ = rays.direction(u + offset, v)
            sub_bins.append(np.clip(np.rint((np.arctan2(sdy, sdx) - first) / step), 0, bins - 1))
        # Sorted by azimuth (column 0 is the left, the largest azimuth): first..last = low..high bin.
        self._pixel_sub_bins = np.ascontiguousarray(np.sort(np.array(sub_bins), axis=0).astype(np.int32))
        self._wall_segments = wall_segments(track) if self.walls else np.zeros((0, 4))

    def _build_colours(self) -> None:
        rgb = self.rgb
        sun = np.asarray(SUN_DIRECTION, float)
        self._sun = sun / np.linalg.norm(sun)
        wall = _to_channels(COLOR_WALL, rgb)
        wall_top = _to_channels(COLOR_WALL_TOP, rgb)
        self._wall_colours = np.ascontiguousarray(np.stack([wall, wall_top]).astype(np.float32))
        # [kind, part] with part 0 = main colour, 1 = lower band (bot-car chassis).
        box = _to_channels(COLOR_BOX, rgb)
        body = _to_channels(COLOR_BOT_BODY, rgb)
        chassis = _to_channels(COLOR_BOT_CHASSIS, rgb)
        table = np.zeros((2, 2, box.shape[-1]), dtype=np.float32)
        table[OBJECT_KIND_BOX] = [box, box]
        table[OBJECT_KIND_BOT_CAR] = [body, chassis]
        self._object_colours = table

    # --- rendering --------------------------------------------------------------------------------

    def render(self, poses: Any, objects: Any = None) -> np.ndarray:
        """Frames for each pose: uint8 (N, 120, 160, channels).

        objects: (M, 7) [x, y, yaw, length, width, height, kind] seen by every pose, or one
        set per pose as (N, M, 7) or a list of N (M_i, 7) arrays; kind 0 = box obstacle,
        1 = bot car. None or (0, 7) = no objects.
        """
        poses = validate_poses(poses)
        flat, begin, end = flatten_objects(objects, len(poses))
        out = np.empty((len(poses), g.IMAGE_HEIGHT, g.IMAGE_WIDTH, self.channels), dtype=np.uint8)
        if len(poses) == 0:
            return out
        noise_offsets = np.zeros(len(poses), dtype=np.int64)
        if self._rng is not None:
            frame = g.IMAGE_WIDTH * g.IMAGE_HEIGHT * self.channels
            noise_offsets = self._rng.integers(0, len(self._noise) - frame, size=len(poses))
        rays, tex = self._rays, self._texture
        _render_batch(
            poses, self._lenses, flat, begin, end,
            tex.packed, tex.distance_packed, tex.materials, tex.offsets, tex.widths, tex.heights, tex.inv_texel,
            tex.origin[0], tex.origin[1],
            self._slice_row, self._slice_forward, self._slice_side0, self._slice_step, self._slice_level,
            self._slice_weight, self._slice_sharpness, self._pixel_constant,
            self._wall_segments, self._fan_first, self._fan_step, self._fan_cos, self._fan_sin,
            self._pixel_bin, self._pixel_sub_bins, self._pixel_slope, self._pixel_inv_slope_step,
            self._row_floor_far,
            WALL_HEIGHT, WALL_TOP_FRACTION, self._wall_colours,
            self._object_colours, BOT_CHASSIS_FRACTION, LIGHT_AZIMUTH, self._sun, AMBIENT,
            rays.focal, rays.cx, rays.cy, rays.cos_pitch, rays.sin_pitch, rays.lens_height,
            self._noise, noise_offsets, self._rng is not None,
            out,
        )
        return out


@njit(cache=True, fastmath=FASTMATH, boundscheck=False, error_model="numpy")
def _bilinear(quads, frac_u, frac_v, out):
    """out[col] = bilinear blend of the four bytes packed in quads[col]."""
    for col in range(out.shape[0]):
        q = quads[col]
        fu = frac_u[col]
        t00 = np.float32(q & np.uint32(0xFF))
        t01 = np.float32((q >> np.uint32(8)) & np.uint32(0xFF))
        t10 = np.float32((q >> np.uint32(16)) & np.uint32(0xFF))
        t11 = np.float32(q >> np.uint32(24))
        low = t00 + (t01 - t00) * fu
        high = t10 + (t11 - t10) * fu
        out[col] = low + (high - low) * frac_v[col]


@njit(cache=True, fastmath=FASTMATH, boundscheck=False, error_model="numpy")
def _floor_pass(lens_x, lens_y, c, s, packed, distance_packed, materials, tex_off, tex_w, tex_h, tex_inv,
                tex_x0, tex_y0, slice_row, slice_forward, slice_side0, slice_step, slice_level, slice_weight,
                slice_sharpness, pixel_constant, image, index, frac_u, frac_v, quad, quad2, value, cover):
    """Floor and sky into image (channels, pixels).

    Each row slice is a few simple loops (coordinates, texture reads, blend) rather than one:
    the arithmetic loops then compile to SIMD code, which is most of the speed. Slices with
    slice_sharpness > 0 (near the car) draw the markings from the distance fields:
    coverage = clamp(0.5 - distance / pixel footprint) = clamp(offset - sharpness * byte).
    """
    channels = image.shape[0]
    width = index.shape[0]
    paint_split = np.float32(128.0 - BORDER_PAINT_DEPTH / SDF_STEP - 5.0)
    for ch in range(channels):
        for p in range(image.shape[1]):
            image[ch, p] = pixel_constant[ch, p]
    rel_x = lens_x - tex_x0
    rel_y = lens_y - tex_y0
    for j in range(slice_row.shape[0]):
        level = slice_level[j]
        inv = tex_inv[level]
        forward = slice_forward[j]
        side0 = slice_side0[j]
        step = slice_step[j]
        u0 = np.float32((rel_x + c * forward - s * side0) * inv - 0.5)
        v0 = np.float32((rel_y + s * forward + c * side0) * inv - 0.5)
        du = np.float32(-s * step * inv)
        dv = np.float32(c * step * inv)
        max_u = np.float32(tex_w[level] - 1.001)
        max_v = np.float32(tex_h[level] - 1.001)
        level_start = np.uint32(tex_off[level])
        level_width = np.uint32(tex_w[level])
        for col in range(width):
            uu = u0 + du * np.float32(col)
            vv = v0 + dv * np.float32(col)
            uu = min(max(uu, np.float32(0.0)), max_u)
            vv = min(max(vv, np.float32(0.0)), max_v)
            iu = np.uint32(uu)
            iv = np.uint32(vv)
            frac_u[col] = uu - np.float32(iu)
            frac_v[col] = vv - np.float32(iv)
            index[col] = level_start + iv * level_width + iu
        weight = slice_weight[j]
        row_start = slice_row[j] * width
        sharpness = slice_sharpness[j]
        if sharpness > 0.0:
            offset = np.float32(0.5) + np.float32(128.0) * sharpness
            for col in range(width):
                both = distance_packed[index[col]]
                quad[col] = np.uint32(both & np.uint64(0xFFFFFFFF))
                quad2[col] = np.uint32(both >> np.uint64(32))
            _bilinear(quad, frac_u, frac_v, value)
            for col in range(width):
                cover[0, col] = min(max(offset - sharpness * value[col], np.float32(0.0)), np.float32(1.0))
                # Which paint: border lines lie near the track edge, dashes deep inside.
                cover[2, col] = min(max((value[col] - paint_split) * np.float32(0.1), np.float32(0.0)), np.float32(1.0))
            _bilinear(quad2, frac_u, frac_v, value)
            for col in range(width):
                cover[1, col] = min(max(offset - sharpness * value[col], np.float32(0.0)), np.float32(1.0))
            for ch in range(channels):
                carpet = materials[0, ch]
                asphalt = materials[1, ch]
                line = materials[2, ch]
                dash = materials[3, ch]
                target = image[ch, row_start:row_start + width]
                for col in range(width):
                    colour = carpet + (asphalt - carpet) * cover[0, col]
                    paint = dash + (line - dash) * cover[2, col]
                    target[col] += weight * (colour + (paint - colour) * cover[1, col])
            continue
        for ch in range(channels):
            plane = packed[ch]
            for col in range(width):
                quad[col] = plane[index[col]]
            _bilinear(quad, frac_u, frac_v, value)
            target = image[ch, row_start:row_start + width]
            for col in range(width):
                target[col] += weight * value[col]


@njit(cache=True, fastmath=FASTMATH, boundscheck=False, error_model="numpy")
def _wall_cover(d, z0, slope, inv_step, top, cap_start):
    """(coverage, cap share) of a pixel by a wall d metres away horizontally."""
    z = z0 + slope * d
    inv = inv_step / d
    half = np.float32(0.5)
    zero = np.float32(0.0)
    one = np.float32(1.0)
    cover = min(max((top - z) * inv + half, zero), one) * min(max(z * inv + half, zero), one)
    return cover, min(max((z - cap_start) * inv + half, zero), one)


@njit(cache=True, fastmath=FASTMATH, boundscheck=False, error_model="numpy")
def _wall_pass(lens_x, lens_y, yaw, wall_segments, fan_first, fan_step, fan_cos, fan_sin, wall_dist, wall_seg,
               bin_dist, bin_shade, bin_jumps, pixel_bin, pixel_sub_bins, pixel_slope, pixel_inv_slope_step,
               row_floor_far, lens_z, wall_height, wall_top_fraction, wall_colours, sun, image,
               row_dist, row_shade, row_cap, row_mixed):
    """Walls over the floor: a distance per azimuth bin, then how much of each pixel they cover.

    A pixel sees the wall of its bin where the ray's height there, z = lens_z + slope * d, is
    between the floor and the wall top; coverage ramps over one pixel's height at each end.
    Where the wall distance jumps inside a pixel (a wall's end in front of another), the
    pixel averages four azimuths across its width instead.
    """
    wall_dist.fill(np.inf)
    cast_segments_polar(lens_x, lens_y, yaw, wall_segments, fan_first, fan_step, fan_cos, fan_sin,
                        wall_dist, wall_seg)
    nearest = np.inf
    for b in range(wall_dist.shape[0]):
        d = wall_dist[b]
        if d == np.inf:
            bin_dist[b] = 1e4      # finite so the arithmetic below stays NaN-free; shade 0 hides it
            bin_shade[b] = 0.0
            continue
        nearest = min(nearest, d)
        segment = wall_seg[b]
        sx = wall_segments[segment, 2] - wall_segments[segment, 0]
        sy = wall_segments[segment, 3] - wall_segments[segment, 1]
        light = abs(-sy * sun[0] + sx * sun[1]) / (math.sqrt(sx * sx + sy * sy) + 1e-12)
        bin_dist[b] = d
        bin_shade[b] = 0.75 + 0.25 * light
    if nearest == np.inf:
        return
    bin_jumps[0] = 0
    for b in range(wall_dist.shape[0] - 1):
        d0 = bin_dist[b]
        d1 = bin_dist[b + 1]
        jump = (bin_shade[b] == 0.0) != (bin_shade[b + 1] == 0.0) or abs(d1 - d0) > 0.05 * min(d0, d1)
        bin_jumps[b + 1] = bin_jumps[b] + (1 if jump else 0)
    channels = image.shape[0]
    width = row_dist.shape[0]
    cap_start = np.float32(wall_height * (1.0 - wall_top_fraction))
    top = np.float32(wall_height)
    zero = np.float32(0.0)
    for row in range(row_floor_far.shape[0]):
        if row_floor_far[row] <= nearest:
            break   # every floor point of this row (and the rows below) is nearer than any wall
        start = row * width
        mixed = 0
        for col in range(width):
            p = start + col
            b = pixel_bin[p]
            row_dist[col] = bin_dist[b]
            row_shade[col] = bin_shade[b]
            if bin_jumps[pixel_sub_bins[3, p]] != bin_jumps[pixel_sub_bins[0, p]]:
                row_mixed[mixed] = col
                mixed += 1
        z0 = np.float32(lens_z)
        for col in range(width):
            p = start + col
            cover, cap = _wall_cover(row_dist[col], z0, pixel_slope[p], pixel_inv_slope_step[p], top, cap_start)
            shade = row_shade[col]
            row_dist[col] = cover if shade > zero else zero
            row_cap[col] = shade * cap
        for k in range(mixed):
            col = row_mixed[k]
            p = start + col
            total = zero
            shade_sum = zero
            cap_sum = zero
            for sub in range(4):
                b = pixel_sub_bins[sub, p]
                shade = bin_shade[b]
                if shade == zero:
                    continue
                cover, cap = _wall_cover(bin_dist[b], z0, pixel_slope[p], pixel_inv_slope_step[p], top, cap_start)
                total += cover
                shade_sum += cover * shade
                cap_sum += cover * shade * cap
            row_dist[col] = total * np.float32(0.25)
            row_shade[col] = shade_sum / total if total > zero else zero
            row_cap[col] = cap_sum / total if total > zero else zero
        for ch in range(channels):
            base = wall_colours[0, ch]
            rise = wall_colours[1, ch] - base
            target = image[ch, start:start + width]
            for col in range(width):
                colour = row_shade[col] * base + row_cap[col] * rise
                target[col] += (colour - target[col]) * row_dist[col]


@njit(cache=True, fastmath=FASTMATH, boundscheck=False)
def _quantise(image, noise, noise_start, add_noise, frame, first_channel):
    """Round image (channels, pixels) into frame (pixels, all channels) as uint8."""
    channels = image.shape[0]
    pixels = image.shape[1]
    half = np.float32(0.5)
    low = np.float32(0.0)
    high = np.float32(255.0)
    if frame.shape[1] == 1 and not add_noise:
        # Mono: a unit-stride loop, which compiles to SIMD code.
        flat = frame.reshape(pixels)
        source = image[0]
        for p in range(pixels):
            flat[p] = np.uint8(min(max(source[p] + half, low), high))
        return
    for ch in range(channels):
        out_ch = first_channel + ch
        if add_noise:
            start = noise_start + ch * pixels
            for p in range(pixels):
                frame[p, out_ch] = np.uint8(min(max(image[ch, p] + noise[start + p] + half, low), high))
        else:
            for p in range(pixels):
                frame[p, out_ch] = np.uint8(min(max(image[ch, p] + half, low), high))


@njit(cache=True, fastmath=FASTMATH, boundscheck=False)
def _render_batch(
    poses, lenses, objects, obj_begin, obj_end,
    packed, distance_packed, materials, tex_off, tex_w, tex_h, tex_inv, tex_x0, tex_y0,
    slice_row, slice_forward, slice_side0, slice_step, slice_level, slice_weight, slice_sharpness, pixel_constant,
    wall_segments, fan_first, fan_step, fan_cos, fan_sin,
    pixel_bin, pixel_sub_bins, pixel_slope, pixel_inv_slope_step, row_floor_far,
    wall_height, wall_top_fraction, wall_colours,
    object_colours, chassis_fraction, light_azimuth, sun, ambient,
    focal, cx, cy, cos_pitch, sin_pitch, lens_z,
    noise, noise_offsets, add_noise,
    out,
):
    n_frames = poses.shape[0]
    height = out.shape[1]
    width = out.shape[2]
    n_pixels = width * height
    channels = packed.shape[0]
    has_walls = wall_segments.shape[0] > 0

    image = np.empty((channels, n_pixels), dtype=np.float32)
    index = np.empty(width, dtype=np.uint32)
    frac_u = np.empty(width, dtype=np.float32)
    frac_v = np.empty(width, dtype=np.float32)
    quad = np.empty(width, dtype=np.uint32)
    quad2 = np.empty(width, dtype=np.uint32)
    value = np.empty(width, dtype=np.float32)
    cover = np.empty((3, width), dtype=np.float32)
    wall_dist = np.empty(fan_cos.shape[0], dtype=np.float64)
    wall_seg = np.empty(fan_cos.shape[0], dtype=np.int64)
    bin_dist = np.empty(fan_cos.shape[0], dtype=np.float32)
    bin_shade = np.empty(fan_cos.shape[0], dtype=np.float32)
    bin_jumps = np.empty(fan_cos.shape[0], dtype=np.int32)
    mixed_cols = np.empty(width, dtype=np.int32)

    for n in range(n_frames):
        c = math.cos(poses[n, 2])
        s = math.sin(poses[n, 2])
        frame = out[n].reshape(n_pixels, out.shape[3])
        for cam in range(lenses.shape[0]):
            lens_x = poses[n, 0] + c * lenses[cam, 0] - s * lenses[cam, 1]
            lens_y = poses[n, 1] + s * lenses[cam, 0] + c * lenses[cam, 1]
            _floor_pass(lens_x, lens_y, c, s, packed, distance_packed, materials, tex_off, tex_w, tex_h, tex_inv,
                        tex_x0, tex_y0, slice_row, slice_forward, slice_side0, slice_step, slice_level, slice_weight,
                        slice_sharpness, pixel_constant, image, index, frac_u, frac_v, quad, quad2, value, cover)
            if has_walls:
                _wall_pass(lens_x, lens_y, poses[n, 2], wall_segments, fan_first, fan_step, fan_cos, fan_sin,
                           wall_dist, wall_seg, bin_dist, bin_shade, bin_jumps, pixel_bin, pixel_sub_bins,
                           pixel_slope, pixel_inv_slope_step, row_floor_far, lens_z, wall_height,
                           wall_top_fraction, wall_colours, sun, image, frac_u, frac_v, value, mixed_cols)
            if obj_end[n] > obj_begin[n]:
                draw_objects(objects, obj_begin[n], obj_end[n], lens_x, lens_y, lens_z, c, s, focal, cx, cy,
                             cos_pitch, sin_pitch, has_walls, wall_dist, pixel_bin, pixel_slope, wall_height,
                             object_colours, chassis_fraction, light_azimuth, ambient, image, width, height)
            _quantise(image, noise, noise_offsets[n] + cam * n_pixels * channels, add_noise, frame, cam * channels)
