"""What the sensors look at: the track, the optional walls, and the objects on it.

Shared by the camera and the LIDAR so both check their inputs the same way and see the
same walls. Walls are also what the rest of the simulator should use if it ever lets cars
hit them, so their shape is public here (`wall_polylines`).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import shapely

# Objects arrive as rows [x, y, yaw, length, width, height, kind] in the world frame.
OBJECT_COLUMNS = 7
OBJECT_KIND_BOX = 0
OBJECT_KIND_BOT_CAR = 1
OBJECT_KINDS = (OBJECT_KIND_BOX, OBJECT_KIND_BOT_CAR)

# Low barriers drawn (and seen by the LIDAR) when walls=True: this far outside the border
# lines, this tall. Taller than the camera lens (0.130 m) and the LIDAR plane (0.185 m), so
# the camera sees the barrier instead of the room behind it and the LIDAR detects it.
WALL_OFFSET = 0.30
WALL_HEIGHT = 0.25
# Walls are polygonal offsets of curved borders; this keeps their segment count small
# without moving them by more than a few millimetres.
_WALL_SIMPLIFY_TOLERANCE = 0.005


def check_track(track: Any) -> None:
    """Fail early with a clear message if `track` lacks what the sensors read from it."""
    for name in ("centre", "inner", "outer"):
        if not hasattr(track, name):
            raise ValueError(f"track has no attribute {name!r}; sensors need .centre, .inner, .outer, .is_loop")
        line = np.asarray(getattr(track, name))
        if line.ndim != 2 or line.shape[1] != 2 or line.shape[0] < 2:
            raise ValueError(f"track.{name} must be an (N, 2) polyline with N >= 2, got shape {line.shape}")
        if not np.all(np.isfinite(line)):
            raise ValueError(f"track.{name} contains NaN or infinite coordinates")
    if not hasattr(track, "is_loop"):
        raise ValueError("track has no attribute 'is_loop'")
    if len(track.inner) != len(track.outer):
        raise ValueError(f"track.inner has {len(track.inner)} points but track.outer has {len(track.outer)}")


def validate_poses(poses: Any) -> np.ndarray:
    """(N, 3) float64 [x, y, yaw] rows; a single (3,) pose is not accepted, to keep batches explicit."""
    array = np.asarray(poses, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 3:
        raise ValueError(f"poses must have shape (N, 3) as [x, y, yaw] rows, got shape {array.shape}")
    if not np.isfinite(array).all():
        row = int(np.flatnonzero(~np.isfinite(array).all(axis=1))[0])
        raise ValueError(f"poses row {row} is not finite: {array[row].tolist()}")
    return array if array.flags.c_contiguous else np.ascontiguousarray(array)


_NO_OBJECTS = np.zeros((0, OBJECT_COLUMNS))
_NO_OBJECTS.flags.writeable = False


def validate_objects(objects: Any) -> np.ndarray:
    """(M, 7) float64 [x, y, yaw, length, width, height, kind] rows; None or empty means no objects."""
    if objects is None:
        return _NO_OBJECTS
    array = np.asarray(objects, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != OBJECT_COLUMNS:
        if array.size == 0 and array.ndim <= 2 and (array.ndim < 2 or array.shape[1] == 0):
            return _NO_OBJECTS
        raise ValueError(
            f"objects must have shape (M, 7) as [x, y, yaw, length, width, height, kind] rows, got shape {array.shape}"
        )
    if len(array) == 0:
        return _NO_OBJECTS
    bad = ~np.isfinite(array).all(axis=1)
    reason = "is not finite"
    if not bad.any():
        bad = (array[:, 3:6] <= 0.0).any(axis=1)
        reason = "has a length, width or height <= 0"
    if not bad.any():
        bad = (array[:, 6] != OBJECT_KIND_BOX) & (array[:, 6] != OBJECT_KIND_BOT_CAR)
        reason = "has a kind other than 0 (box obstacle) or 1 (bot car)"
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"objects row {row} {reason}: {array[row].tolist()}")
    return array if array.flags.c_contiguous else np.ascontiguousarray(array)


def track_surface(track: Any) -> shapely.Geometry:
    """The drivable area between the border lines, as one (multi)polygon.

    Built from the quadrilaterals between consecutive border points rather than from the
    border rings, so it also works for open tracks and for figure-of-eight tracks whose
    borders cross themselves.
    """
    inner = np.asarray(track.inner, dtype=np.float64)
    outer = np.asarray(track.outer, dtype=np.float64)
    quads = np.stack([inner[:-1], inner[1:], outer[1:], outer[:-1]], axis=1)
    polygons = shapely.polygons(quads)
    polygons = shapely.make_valid(polygons)
    return shapely.union_all(polygons, grid_size=1e-6)


def wall_polylines(track: Any, offset: float = WALL_OFFSET) -> list[np.ndarray]:
    """The barrier lines `offset` metres outside the drivable area, as (K, 2) polylines.

    A loop gets an outer ring and, where the infield is wide enough, inner rings; an open
    track gets one ring around it.
    """
    surface = track_surface(track).buffer(offset, quad_segs=8)
    surface = surface.simplify(_WALL_SIMPLIFY_TOLERANCE)
    polygons = list(surface.geoms) if hasattr(surface, "geoms") else [surface]
    lines = []
    for polygon in polygons:
        if polygon.is_empty:
            continue
        lines.append(np.asarray(polygon.exterior.coords, dtype=np.float64))
        lines.extend(np.asarray(ring.coords, dtype=np.float64) for ring in polygon.interiors)
    return lines


def wall_segments(track: Any, offset: float = WALL_OFFSET) -> np.ndarray:
    """Wall polylines as (S, 4) rows [x0, y0, x1, y1] for ray casting."""
    pieces = [np.concatenate([line[:-1], line[1:]], axis=1) for line in wall_polylines(track, offset) if len(line) > 1]
    if not pieces:
        return np.zeros((0, 4))
    return np.ascontiguousarray(np.concatenate(pieces, axis=0))


def split_objects(objects: Any, count: int) -> tuple[np.ndarray | None, list[np.ndarray] | None]:
    """Objects shared by all `count` poses ((M, 7) -> (array, None)) or one set per pose
    ((N, M, 7), or a list of N (M_i, 7) arrays whose counts may differ -> (None, [N arrays])),
    each validated."""
    if objects is None:
        return _NO_OBJECTS, None
    if isinstance(objects, (list, tuple)) and objects and all(np.ndim(o) == 2 for o in objects):
        sets_in = list(objects)
    else:
        array = np.asarray(objects, dtype=np.float64)
        if array.ndim != 3:
            return validate_objects(array), None
        sets_in = list(array)
    if len(sets_in) != count:
        raise ValueError(f"objects give {len(sets_in)} sets (one per pose) but there are {count} poses")
    sets = []
    for i, one in enumerate(sets_in):
        try:
            sets.append(validate_objects(one))
        except ValueError as error:
            raise ValueError(f"objects[{i}]: {error}") from None
    return None, sets


def flatten_objects(objects: Any, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Objects for `count` poses as one (K, 7) array plus, per pose, the [begin, end) rows it sees.

    Accepts (M, 7) (every pose sees the same objects), (N, M, 7) or a list of N (M_i, 7)
    arrays (one set per pose), or None.
    """
    shared, per_pose = split_objects(objects, count)
    if per_pose is None:
        return shared, np.zeros(count, dtype=np.int64), np.full(count, len(shared), dtype=np.int64)
    counts = np.array([len(o) for o in per_pose], dtype=np.int64)
    end = np.cumsum(counts)
    flat = np.concatenate(per_pose) if len(per_pose) else _NO_OBJECTS
    return np.ascontiguousarray(flat), end - counts, end
