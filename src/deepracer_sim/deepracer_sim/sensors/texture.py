"""Top-down picture of the floor (track + surroundings), rasterised once per track.

The camera renderer reads the floor colour under each pixel from this picture instead of
drawing geometry every frame. It keeps a pyramid of prefiltered copies at texel sizes
growing by sqrt(2) per level, so that distant pixels (which cover a large patch of floor)
read an already averaged colour: this is the anti-aliasing a GPU gets from mipmaps, done
once at start-up.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numba import njit
from PIL import Image, ImageDraw

from deepracer_common.sensor_geometry import LUMA_WEIGHTS

# Colours (RGB) chosen to resemble the simulator's re:Invent tracks: dark asphalt, white
# border lines, dashed yellow centre line on a green carpet.
COLOR_OFF_TRACK = (62, 112, 58)
COLOR_ASPHALT = (48, 48, 52)
COLOR_BORDER_LINE = (238, 238, 232)
COLOR_CENTRE_LINE = (238, 196, 40)

BORDER_LINE_WIDTH = 0.05   # m; lies inside the drivable area, its outer edge on the border
CENTRE_LINE_WIDTH = 0.04   # m
CENTRE_DASH_LENGTH = 0.15  # m
CENTRE_DASH_GAP = 0.15     # m

BASE_TEXEL = 0.01          # m per texel at level 0
MAX_BASE_TEXELS = 2048     # larger tracks get coarser texels so memory stays bounded
MARGIN = 1.5               # m of off-track floor around the track's bounding box
COARSEST_TEXEL = 0.5       # m; beyond this the floor is uniform anyway
_SUPERSAMPLE = 2           # rasterise at this many sub-texels per texel for smooth edges
# Near the camera one texel spans several pixels; there the renderer draws the markings
# from signed distance fields (bilinear in a distance stays a straight, sharp edge) instead
# of magnifying colour texels into blurry stair-steps. Distances are stored in bytes:
SDF_STEP = 0.0005          # m per unit, 128 = on the edge
SDF_REACH = 127 * SDF_STEP # m; distances saturate beyond this
# Paint closer than this to the track edge (inside it) is a border line, further in a dash.
BORDER_PAINT_DEPTH = 0.055


@dataclass
class FloorTexture:
    """Texture pyramid packed in flat arrays so a compiled kernel can index any level.

    Level k has square texels of base_texel * sqrt(2)**k metres; texel (i, j) of every level
    is centred on world (origin_x + (i + 0.5) * texel, origin_y + (j + 0.5) * texel).
    """

    data: np.ndarray          # (C, T) uint8: all levels, row-major (row = world y), one after another
    packed: np.ndarray        # (C, T) uint32: texel, right, above and above-right neighbours in bytes 0..3
    offsets: np.ndarray       # (L,) start of each level in data/packed
    widths: np.ndarray        # (L,)
    heights: np.ndarray       # (L,)
    inv_texel: np.ndarray     # (L,) texels per metre
    origin: tuple[float, float]  # world (x, y) of the texture's lower-left corner
    base_texel: float
    distance_packed: np.ndarray  # (T0,) uint64 on level 0's grid: the asphalt field packed like
                                 # `packed` in the low 32 bits, the paint field in the high 32;
                                 # byte = 128 + distance / SDF_STEP. One load per pixel reads both.
    materials: np.ndarray        # (4, C) float32 colours of carpet, asphalt, border line, dash

    @property
    def levels(self) -> int:
        return len(self.offsets)

    def level_image(self, level: int, channel: int = 0) -> np.ndarray:
        """One level as a (rows, cols) image; row j is world y = origin_y + (j + 0.5) * texel."""
        start = self.offsets[level]
        size = self.widths[level] * self.heights[level]
        return self.data[channel, start:start + size].reshape(self.heights[level], self.widths[level])


def _pack_neighbours(level: np.ndarray) -> np.ndarray:
    """(H, W) uint8 -> (H, W) uint32 holding the 2x2 block whose lower-left texel is this one.

    One 32-bit load then gives all four taps of a bilinear read, which is what lets the
    renderer's inner loop stay cheap.
    """
    padded = np.pad(level, ((0, 1), (0, 1)), mode="edge").astype(np.uint32)
    return (padded[:-1, :-1] | (padded[:-1, 1:] << 8) | (padded[1:, :-1] << 16) | (padded[1:, 1:] << 24))


def _border_line_centres(border: np.ndarray, centre: np.ndarray, inset: float) -> np.ndarray:
    """Border polyline moved `inset` metres towards the centre line, point by point."""
    towards = centre - border
    length = np.linalg.norm(towards, axis=1, keepdims=True)
    return border + towards / np.maximum(length, 1e-9) * inset


def _dash_polylines(centre: np.ndarray) -> list[np.ndarray]:
    """Centre lines of the dashes, CENTRE_DASH_GAP apart by arc length.

    Each is shorter than CENTRE_DASH_LENGTH by the line width, because dashes are drawn with
    round ends that add half a width at each end.
    """
    steps = np.linalg.norm(np.diff(centre, axis=0), axis=1)
    arc = np.concatenate([[0.0], np.cumsum(steps)])
    period = CENTRE_DASH_LENGTH + CENTRE_DASH_GAP
    core = CENTRE_DASH_LENGTH - CENTRE_LINE_WIDTH
    dashes = []
    start = CENTRE_LINE_WIDTH / 2.0
    while start + core <= arc[-1]:
        end = start + core
        inside = (arc > start) & (arc < end)
        s = np.concatenate([[start], arc[inside], [end]])
        dashes.append(np.stack([np.interp(s, arc, centre[:, 0]), np.interp(s, arc, centre[:, 1])], axis=1))
        start += period
    return dashes


@dataclass
class _Markings:
    """The painted geometry, shared by the colour picture and the distance fields."""

    quads: np.ndarray               # (Q, 4, 2) asphalt between consecutive border points
    borders: list[np.ndarray]       # the two border polylines (edge of the asphalt)
    border_lines: list[np.ndarray]  # centre lines of the white border lines
    dashes: list[np.ndarray]        # centre lines of the dashes


def _markings(track: Any) -> _Markings:
    inner = np.asarray(track.inner, dtype=np.float64)
    outer = np.asarray(track.outer, dtype=np.float64)
    centre = np.asarray(track.centre, dtype=np.float64)
    quads = np.stack([inner[:-1], inner[1:], outer[1:], outer[:-1]], axis=1)
    if len(centre) == len(inner):
        lines = [_border_line_centres(b, centre, BORDER_LINE_WIDTH / 2.0) for b in (inner, outer)]
    else:
        lines = [inner, outer]
    return _Markings(quads=quads, borders=[inner, outer], border_lines=lines, dashes=_dash_polylines(centre))


def _rasterise_rgb(marks: _Markings, origin: tuple[float, float], texel: float, size: tuple[int, int]) -> np.ndarray:
    """Level-0 RGB image (rows = world y upwards, cols = world x), drawn supersampled."""
    fine = texel / _SUPERSAMPLE
    width, height = size[0] * _SUPERSAMPLE, size[1] * _SUPERSAMPLE
    image = Image.new("RGB", (width, height), COLOR_OFF_TRACK)
    draw = ImageDraw.Draw(image)

    def to_pixels(points: np.ndarray) -> list[tuple[float, float]]:
        # PIL puts pixel centres at integer coordinates.
        px = (points[:, 0] - origin[0]) / fine - 0.5
        py = (points[:, 1] - origin[1]) / fine - 0.5
        return list(zip(px.tolist(), py.tolist()))

    for quad in marks.quads:
        draw.polygon(to_pixels(quad), fill=COLOR_ASPHALT)

    def polyline(points: np.ndarray, width_m: float, color: tuple[int, int, int]) -> None:
        pixels = to_pixels(points)
        draw.line(pixels, fill=color, width=max(1, int(round(width_m / fine))), joint="curve")
        radius = width_m / fine / 2.0
        for x, y in (pixels[0], pixels[-1]):   # round ends, as the distance fields have
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=color)

    for line in marks.border_lines:
        polyline(line, BORDER_LINE_WIDTH, COLOR_BORDER_LINE)
    for dash in marks.dashes:
        polyline(dash, CENTRE_LINE_WIDTH, COLOR_CENTRE_LINE)
    return np.asarray(image.reduce(_SUPERSAMPLE))


@njit(cache=True)
def _splat_distance(grid, x0, y0, texel, segments, half_width, reach):
    """grid = min(grid, distance to each thick segment), near the segments only."""
    height, width = grid.shape
    for k in range(segments.shape[0]):
        ax, ay, bx, by = segments[k, 0], segments[k, 1], segments[k, 2], segments[k, 3]
        ex = bx - ax
        ey = by - ay
        length2 = ex * ex + ey * ey
        pad = half_width + reach
        i0 = max(int((min(ax, bx) - pad - x0) / texel), 0)
        i1 = min(int((max(ax, bx) + pad - x0) / texel) + 1, width - 1)
        j0 = max(int((min(ay, by) - pad - y0) / texel), 0)
        j1 = min(int((max(ay, by) + pad - y0) / texel) + 1, height - 1)
        for j in range(j0, j1 + 1):
            py = y0 + (j + 0.5) * texel
            for i in range(i0, i1 + 1):
                px = x0 + (i + 0.5) * texel
                t = 0.0
                if length2 > 0.0:
                    t = min(max(((px - ax) * ex + (py - ay) * ey) / length2, 0.0), 1.0)
                dx = px - (ax + t * ex)
                dy = py - (ay + t * ey)
                d = math.sqrt(dx * dx + dy * dy) - half_width
                if d < grid[j, i]:
                    grid[j, i] = d


def _segments(polylines: list[np.ndarray]) -> np.ndarray:
    return np.ascontiguousarray(np.concatenate([np.concatenate([p[:-1], p[1:]], axis=1) for p in polylines]))


def _distance_fields(marks: _Markings, origin: tuple[float, float], texel: float, size: tuple[int, int]) -> np.ndarray:
    """(2, rows, cols) signed distances in metres (negative inside) to the asphalt and to the
    paint (border lines and dashes together), saturated at +-SDF_REACH.

    One paint field serves both paints because they never meet: the renderer tells them apart
    by the asphalt distance (border lines lie within a line width of the track edge, dashes
    far inside it).
    """
    fields = np.full((2, size[1], size[0]), SDF_REACH, dtype=np.float64)
    x0, y0 = origin
    _splat_distance(fields[0], x0, y0, texel, _segments(marks.borders), 0.0, SDF_REACH)
    _splat_distance(fields[1], x0, y0, texel, _segments(marks.border_lines), BORDER_LINE_WIDTH / 2.0, SDF_REACH)
    if marks.dashes:
        _splat_distance(fields[1], x0, y0, texel, _segments(marks.dashes), CENTRE_LINE_WIDTH / 2.0, SDF_REACH)
    # The asphalt field is unsigned so far: inside the track it must be negative.
    rows, cols = np.mgrid[0:size[1], 0:size[0]]
    xs = x0 + (cols + 0.5) * texel
    ys = y0 + (rows + 0.5) * texel
    surface = shapely.union_all(shapely.make_valid(shapely.polygons(marks.quads)), grid_size=1e-6)
    shapely.prepare(surface)
    near = fields[0] < SDF_REACH
    inside = np.zeros(fields[0].shape, dtype=bool)
    inside[near] = shapely.contains_xy(surface, xs[near], ys[near])
    # Far from the border every texel on the same side agrees; a coarse fill is enough there.
    mask = Image.new("L", (size[0], size[1]), 0)
    draw = ImageDraw.Draw(mask)
    for quad in marks.quads:
        draw.polygon(list(zip(((quad[:, 0] - x0) / texel - 0.5).tolist(), ((quad[:, 1] - y0) / texel - 0.5).tolist())), fill=1)
    inside[~near] = np.asarray(mask, dtype=bool)[~near]
    fields[0][inside] *= -1.0
    return np.minimum(np.maximum(fields, -SDF_REACH), SDF_REACH)


def _to_luma(rgb: np.ndarray) -> np.ndarray:
    luma = rgb.astype(np.float64) @ np.asarray(LUMA_WEIGHTS)
    return np.clip(np.rint(luma), 0, 255).astype(np.uint8)


def build_floor_texture(track: Any, rgb: bool) -> FloorTexture:
    """Rasterise `track` and its pyramid; RGB (3 channels) or luma (1 channel)."""
    lines = [np.asarray(getattr(track, name), dtype=np.float64) for name in ("centre", "inner", "outer")]
    points = np.concatenate(lines, axis=0)
    low = points.min(axis=0) - MARGIN
    high = points.max(axis=0) + MARGIN
    extent = high - low
    texel = max(BASE_TEXEL, float(extent.max()) / MAX_BASE_TEXELS)
    size = (int(math.ceil(extent[0] / texel)), int(math.ceil(extent[1] / texel)))
    origin = (float(low[0]), float(low[1]))
    marks = _markings(track)
    base = Image.fromarray(_rasterise_rgb(marks, origin, texel, size))

    images, inverse = [], []
    level = 0
    while True:
        scale = math.sqrt(2.0) ** level
        width = max(2, int(size[0] / scale))
        height = max(2, int(size[1] / scale))
        if level == 0:
            image = base
        else:
            # Resample exactly the region this level covers, so every level keeps the same
            # origin and square texels; PIL's bilinear resize widens its filter when
            # shrinking, which is the prefilter we want.
            image = base.resize((width, height), Image.Resampling.BILINEAR,
                                box=(0.0, 0.0, width * scale, height * scale))
        array = np.asarray(image)
        images.append(array if rgb else _to_luma(array)[..., None])
        inverse.append(1.0 / (texel * scale))
        if texel * scale >= COARSEST_TEXEL or min(width, height) <= 4:
            break
        level += 1

    channels = 3 if rgb else 1
    offsets = np.cumsum([0] + [im.shape[0] * im.shape[1] for im in images[:-1]]).astype(np.int64)
    data = np.concatenate([im.reshape(-1, channels).T for im in images], axis=1)
    packed = np.concatenate(
        [np.stack([_pack_neighbours(im[..., ch]).ravel() for ch in range(channels)]) for im in images], axis=1
    )
    fields = _distance_fields(marks, origin, texel, size)
    field_bytes = np.clip(np.rint(128.0 + fields / SDF_STEP), 0, 255).astype(np.uint8)
    materials = np.array([COLOR_OFF_TRACK, COLOR_ASPHALT, COLOR_BORDER_LINE, COLOR_CENTRE_LINE], dtype=np.float64)
    if not rgb:
        materials = (materials @ np.asarray(LUMA_WEIGHTS))[:, None]
    return FloorTexture(
        distance_packed=(_pack_neighbours(field_bytes[0]).ravel().astype(np.uint64)
                         | (_pack_neighbours(field_bytes[1]).ravel().astype(np.uint64) << np.uint64(32))),
        materials=materials.astype(np.float32),
        data=np.ascontiguousarray(data),
        packed=np.ascontiguousarray(packed),
        offsets=offsets,
        widths=np.array([im.shape[1] for im in images], dtype=np.int64),
        heights=np.array([im.shape[0] for im in images], dtype=np.int64),
        inv_texel=np.array(inverse),
        origin=origin,
        base_texel=texel,
    )
