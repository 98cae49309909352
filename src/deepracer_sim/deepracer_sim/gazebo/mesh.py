"""Flat triangle meshes for a track (road surface, border lines, dashed centre line) and a
small COLLADA 1.4.1 writer for them.

All meshes lie in the z = 0 plane, in the track file's world frame (metres); the SDF visual
lifts each one a millimetre or two so they do not z-fight with the ground plane.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

import numpy as np

# A miter longer than this many half-widths is cut back, so a hairpin does not grow a spike.
MITER_LIMIT = 4.0
# Triangles with less than this doubled area (m^2) are dropped as degenerate.
MIN_DOUBLE_AREA = 1e-8
# Dash pieces shorter than this (left over at the end of a line) are not drawn.
MIN_DASH = 0.005


@dataclass(frozen=True)
class Mesh:
    vertices: np.ndarray  # (V, 3) float64
    triangles: np.ndarray  # (T, 3) int64, counter-clockwise seen from +z

    def __post_init__(self):
        if self.vertices.ndim != 2 or self.vertices.shape[1] != 3:
            raise ValueError(f"mesh vertices must be (V, 3), got {self.vertices.shape}")
        if self.triangles.size and (self.triangles.min() < 0 or self.triangles.max() >= len(self.vertices)):
            raise ValueError("mesh triangle indices out of range")

    @staticmethod
    def merge(meshes: list["Mesh"]) -> "Mesh":
        vertices, triangles, offset = [], [], 0
        for mesh in meshes:
            vertices.append(mesh.vertices)
            triangles.append(mesh.triangles + offset)
            offset += len(mesh.vertices)
        if not vertices:
            return Mesh(np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64))
        return Mesh(np.vstack(vertices), np.vstack(triangles).astype(np.int64))


def drop_repeats(points: np.ndarray, tolerance: float = 1e-9) -> np.ndarray:
    """Consecutive duplicate rows (common in AWS route files) would give zero-length segments."""
    keep = np.ones(len(points), dtype=bool)
    keep[1:] = np.linalg.norm(np.diff(points, axis=0), axis=1) > tolerance
    return points[keep]


def _upward(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Orient every triangle counter-clockwise seen from above and drop degenerate ones."""
    a, b, c = (vertices[triangles[:, k], :2] for k in range(3))
    cross = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    triangles = triangles.copy()
    flip = cross < 0
    triangles[flip] = triangles[flip][:, [0, 2, 1]]
    # Files store micrometres; anything thinner would collapse to a line once written.
    return triangles[np.abs(cross) > MIN_DOUBLE_AREA]


def _lift(points: np.ndarray) -> np.ndarray:
    return np.column_stack((points, np.zeros(len(points))))


def strip_between(left: np.ndarray, right: np.ndarray) -> Mesh:
    """Quads between two polylines with matching vertices (row i of one faces row i of the other)."""
    if left.shape != right.shape:
        raise ValueError(f"strip borders differ in shape: {left.shape} vs {right.shape}")
    n = len(left)
    vertices = _lift(np.vstack((left, right)))
    i = np.arange(n - 1)
    triangles = np.vstack(
        (np.column_stack((i, n + i, n + i + 1)), np.column_stack((i, n + i + 1, i + 1)))
    ).astype(np.int64)
    return Mesh(vertices, _upward(vertices, triangles))


def offset_polyline(points: np.ndarray, distance: float, closed: bool) -> np.ndarray:
    """The polyline moved `distance` to its left (negative: right), with mitered corners."""
    points = np.asarray(points, dtype=np.float64)
    if closed and np.allclose(points[0], points[-1]):
        ring = points[:-1]
    else:
        ring = points
    if closed:
        incoming = ring - np.roll(ring, 1, axis=0)
        outgoing = np.roll(ring, -1, axis=0) - ring
    else:
        segments = np.diff(ring, axis=0)
        incoming = np.vstack((segments[:1], segments))
        outgoing = np.vstack((segments, segments[-1:]))
    incoming = incoming / np.linalg.norm(incoming, axis=1, keepdims=True)
    outgoing = outgoing / np.linalg.norm(outgoing, axis=1, keepdims=True)
    left_in = np.column_stack((-incoming[:, 1], incoming[:, 0]))
    left_out = np.column_stack((-outgoing[:, 1], outgoing[:, 0]))
    bisector = left_in + left_out
    length = np.linalg.norm(bisector, axis=1, keepdims=True)
    # A full reversal has no bisector; fall back to the outgoing normal there.
    bisector = np.where(length > 1e-9, bisector / np.maximum(length, 1e-12), left_out)
    cos_half = np.clip(np.sum(bisector * left_out, axis=1, keepdims=True), 1.0 / MITER_LIMIT, 1.0)
    shifted = ring + bisector * (distance / cos_half)
    if closed:
        shifted = np.vstack((shifted, shifted[:1]))
    return shifted


def ribbon(points: np.ndarray, width: float, closed: bool) -> Mesh:
    """A flat band `width` wide centred on the polyline."""
    points = drop_repeats(np.asarray(points, dtype=np.float64))
    if len(points) < 2:
        raise ValueError("a ribbon needs at least two distinct points")
    half = width / 2.0
    return strip_between(offset_polyline(points, half, closed), offset_polyline(points, -half, closed))


def dashes(points: np.ndarray, width: float, dash: float, gap: float) -> Mesh:
    """Dashed band along the polyline: `dash` metres drawn, `gap` metres skipped, from its start."""
    points = drop_repeats(np.asarray(points, dtype=np.float64))
    cum = np.concatenate(([0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))))
    pieces = []
    start = 0.0
    while start < cum[-1]:
        end = min(start + dash, cum[-1])
        if end - start < MIN_DASH:
            break
        inside = (cum > start) & (cum < end)
        stations = np.concatenate(([start], cum[inside], [end]))
        xs = np.interp(stations, cum, points[:, 0])
        ys = np.interp(stations, cum, points[:, 1])
        piece = drop_repeats(np.column_stack((xs, ys)))
        if len(piece) >= 2:
            pieces.append(ribbon(piece, width, closed=False))
        start += dash + gap
    return Mesh.merge(pieces)


def road_surface(inner: np.ndarray, outer: np.ndarray) -> Mesh:
    """The road between the two borders, quad by quad along the route's rows."""
    inner = np.asarray(inner, dtype=np.float64)
    outer = np.asarray(outer, dtype=np.float64)
    return strip_between(inner, outer)


# --- COLLADA --------------------------------------------------------------------------------

_COLLADA_NS = "http://www.collada.org/2005/11/COLLADASchema"


def _sub(parent, tag, text=None, **attributes):
    element = ET.SubElement(parent, tag, {k: str(v) for k, v in attributes.items()})
    if text is not None:
        element.text = text
    return element


def _floats(values) -> str:
    return " ".join(f"{v:.6f}" for v in np.asarray(values, dtype=np.float64).ravel())


def collada_document(mesh: Mesh, name: str, rgba: tuple[float, float, float, float]) -> bytes:
    """A COLLADA 1.4.1 file holding one mesh with one flat-shaded, single-colour material."""
    if len(mesh.triangles) == 0:
        raise ValueError(f"mesh {name!r} has no triangles")
    root = ET.Element("COLLADA", {"xmlns": _COLLADA_NS, "version": "1.4.1"})
    asset = _sub(root, "asset")
    contributor = _sub(asset, "contributor")
    _sub(contributor, "authoring_tool", "deepracer_sim.gazebo")
    _sub(asset, "created", "2000-01-01T00:00:00")  # fixed so regenerated files are byte-identical
    _sub(asset, "modified", "2000-01-01T00:00:00")
    _sub(asset, "unit", name="meter", meter="1")
    _sub(asset, "up_axis", "Z_UP")

    effects = _sub(root, "library_effects")
    effect = _sub(effects, "effect", id=f"{name}-effect")
    technique = _sub(_sub(effect, "profile_COMMON"), "technique", sid="common")
    lambert = _sub(technique, "lambert")
    _sub(_sub(lambert, "diffuse"), "color", _floats(rgba), sid="diffuse")

    materials = _sub(root, "library_materials")
    material = _sub(materials, "material", id=f"{name}-material", name=f"{name}-material")
    _sub(material, "instance_effect", url=f"#{name}-effect")

    geometries = _sub(root, "library_geometries")
    geometry = _sub(geometries, "geometry", id=f"{name}-mesh", name=name)
    mesh_element = _sub(geometry, "mesh")

    def source(suffix: str, values: np.ndarray, params: str):
        src = _sub(mesh_element, "source", id=f"{name}-{suffix}")
        _sub(src, "float_array", _floats(values), id=f"{name}-{suffix}-array", count=values.size)
        accessor = _sub(
            _sub(src, "technique_common"),
            "accessor",
            source=f"#{name}-{suffix}-array",
            count=len(values),
            stride=len(params),
        )
        for axis in params:
            _sub(accessor, "param", name=axis.upper(), type="float")

    source("positions", mesh.vertices, "xyz")
    source("normals", np.array([[0.0, 0.0, 1.0]]), "xyz")
    vertices = _sub(mesh_element, "vertices", id=f"{name}-vertices")
    _sub(vertices, "input", semantic="POSITION", source=f"#{name}-positions")
    triangles = _sub(mesh_element, "triangles", material="track-material", count=len(mesh.triangles))
    _sub(triangles, "input", semantic="VERTEX", source=f"#{name}-vertices", offset="0")
    _sub(triangles, "input", semantic="NORMAL", source=f"#{name}-normals", offset="1")
    indices = np.column_stack(
        (mesh.triangles[:, 0], np.zeros(len(mesh.triangles), dtype=np.int64),
         mesh.triangles[:, 1], np.zeros(len(mesh.triangles), dtype=np.int64),
         mesh.triangles[:, 2], np.zeros(len(mesh.triangles), dtype=np.int64))
    )
    _sub(triangles, "p", " ".join(str(int(i)) for i in indices.ravel()))

    scenes = _sub(root, "library_visual_scenes")
    scene = _sub(scenes, "visual_scene", id="Scene", name="Scene")
    node = _sub(scene, "node", id=name, name=name, type="NODE")
    instance = _sub(node, "instance_geometry", url=f"#{name}-mesh", name=name)
    common = _sub(_sub(instance, "bind_material"), "technique_common")
    _sub(common, "instance_material", symbol="track-material", target=f"#{name}-material")
    _sub(_sub(root, "scene"), "instance_visual_scene", url="#Scene")

    ET.indent(root, space=" ")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def read_collada_positions(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(vertices, triangles) back from a file written by collada_document (used by the tests)."""
    root = ET.fromstring(data)
    ns = {"c": _COLLADA_NS}
    positions = root.find(".//c:source[@id]/c:float_array", ns)
    vertices = np.array(positions.text.split(), dtype=np.float64).reshape(-1, 3)
    p = np.array(root.find(".//c:triangles/c:p", ns).text.split(), dtype=np.int64)
    triangles = p.reshape(-1, 6)[:, [0, 2, 4]]
    return vertices, triangles
