"""The worlds show the track the simulator scores against: borders within 1 cm of the route file."""
from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString

from deepracer_sim.gazebo.mesh import offset_polyline, read_collada_positions, ribbon
from deepracer_sim.gazebo.track_source import load_outline, shipped_track_names
from deepracer_sim.gazebo.world import MESH_NAMES, build_meshes, track_model_name, world_files
from deepracer_sim.sensors import texture
from deepracer_sim.tracks import load_track
from gazebo_test_support import WORLDS, shared_tracks_dir

TOLERANCE = 0.01  # m


AWS_TRACKS = ["reinvent_base", "Bowtie_track", "reInvent2019_track", "Oval_track"]
TRACKS = shipped_track_names() + [f"aws:{name}" for name in AWS_TRACKS]


def _reference_and_meshes(spec: str):
    """(Track, {part: (vertices, triangles)}): committed files for ours, generated ones for AWS routes."""
    if spec.startswith("aws:"):
        folder = shared_tracks_dir()
        if folder is None or not (folder / f"{spec[4:]}.npy").is_file():
            pytest.skip(f"AWS route {spec[4:]}.npy not found (set DEEPRACER_SHARED_TRACKS)")
        path = folder / f"{spec[4:]}.npy"
        files = world_files(path)
        prefix = f"models/{track_model_name(spec[4:])}/meshes/"
        return load_track(path), {part: read_collada_positions(files[f"{prefix}{part}.dae"]) for part in MESH_NAMES}
    folder = WORLDS / "models" / track_model_name(spec) / "meshes"
    return load_track(spec), {part: read_collada_positions((folder / f"{part}.dae").read_bytes()) for part in MESH_NAMES}


def _distance_to_line(points: np.ndarray, line: np.ndarray) -> np.ndarray:
    return shapely.distance(shapely.points(points), LineString(line))


def _triangle_union(vertices: np.ndarray, triangles: np.ndarray):
    return shapely.union_all(shapely.polygons(vertices[triangles][:, :, :2]))


@pytest.mark.parametrize("track", TRACKS)
def test_surface_edges_are_the_route_borders(track):
    """Every road-surface vertex is a border point of the route file, and every border point is one."""
    reference, meshes = _reference_and_meshes(track)
    vertices, _ = meshes["surface"]
    borders = np.vstack((reference.inner, reference.outer))
    # Nearest surface vertex to each border point, and nearest border point to each vertex.
    gaps = np.linalg.norm(borders[:, None, :] - vertices[None, :, :2], axis=2)
    assert gaps.min(axis=1).max() < TOLERANCE
    assert gaps.min(axis=0).max() < TOLERANCE
    assert np.all(vertices[:, 2] == 0.0)


@pytest.mark.parametrize("track", TRACKS)
def test_surface_covers_exactly_the_road(track):
    """Points inside the road polygon are covered by the mesh; points off the road are not."""
    reference, meshes = _reference_and_meshes(track)
    vertices, triangles = meshes["surface"]
    covered = _triangle_union(vertices, triangles)
    road = reference.road_polygon
    rng = np.random.default_rng(7)
    low, high = np.min(reference.outer, axis=0) - 0.5, np.max(reference.outer, axis=0) + 0.5
    samples = shapely.points(rng.uniform(low, high, size=(4000, 2)))
    # Stay clear of the border itself, where both answers are legitimately ambiguous.
    clear = shapely.distance(samples, road.boundary) > TOLERANCE
    inside = shapely.contains(road, samples)
    on_mesh = shapely.intersects(covered, samples)
    assert clear.sum() > 3000
    np.testing.assert_array_equal(on_mesh[clear], inside[clear])
    assert covered.area == pytest.approx(road.area, rel=1e-3)


@pytest.mark.parametrize("track", TRACKS)
def test_border_lines_lie_inside_the_road_with_outer_edge_on_the_border(track):
    """White lines are drawn as the embedded renderer draws them: on the road, edge on the border."""
    reference, meshes = _reference_and_meshes(track)
    vertices, triangles = meshes["borders"]
    lines = _triangle_union(vertices, triangles)
    for border in (reference.inner, reference.outer):
        # The line's outer edge runs through every border point (within 1 cm) ...
        gaps = np.linalg.norm(border[:, None, :] - vertices[None, :, :2], axis=2).min(axis=1)
        assert gaps.max() < TOLERANCE
        # ... so the paint reaches every border point.
        assert shapely.distance(lines, shapely.points(border)).max() < TOLERANCE
    # The paint stays on the road (within the centimetre tolerance).
    assert lines.difference(reference.road_polygon.buffer(TOLERANCE)).area < 1e-6
    # It is the renderer's line width: area = width x (inner + outer length), to within 3 %.
    expected = texture.BORDER_LINE_WIDTH * (LineString(reference.inner).length + LineString(reference.outer).length)
    assert lines.area == pytest.approx(expected, rel=0.03)


@pytest.mark.parametrize("track", TRACKS)
def test_centre_line_is_dashed_on_the_centre(track):
    reference, meshes = _reference_and_meshes(track)
    vertices, triangles = meshes["centre_line"]
    assert _distance_to_line(vertices[:, :2], reference.centre).max() <= texture.CENTRE_LINE_WIDTH / 2.0 + 1e-3
    dashes = _triangle_union(vertices, triangles)
    pieces = list(getattr(dashes, "geoms", [dashes]))
    period = texture.CENTRE_DASH_LENGTH + texture.CENTRE_DASH_GAP
    # Dashes that touch at the lap's closing point may merge; allow one fewer.
    assert len(pieces) >= int(reference.length // period) - 1
    painted = dashes.area / texture.CENTRE_LINE_WIDTH
    assert painted == pytest.approx(reference.length * texture.CENTRE_DASH_LENGTH / period, rel=0.1)


def test_world_places_track_and_ground_at_the_route_frame():
    track = shipped_track_names()[0]
    root = ET.parse(WORLDS / f"{track}.sdf").getroot()
    world = root.find("world")
    include = world.find("include")
    assert include.find("uri").text == f"model://{track_model_name(track)}"
    assert [float(v) for v in include.find("pose").text.split()] == [0.0] * 6
    ground = world.find("model[@name='ground_plane']")
    size = [float(v) for v in ground.find("link/collision/geometry/plane/size").text.split()]
    centre = [float(v) for v in ground.find("pose").text.split()[:2]]
    outline = load_outline(track)
    points = np.vstack((outline.inner, outline.outer))
    # The ground reaches well past the track on every side.
    assert np.all(np.array(centre) - np.array(size) / 2 < points.min(axis=0) - 5)
    assert np.all(np.array(centre) + np.array(size) / 2 > points.max(axis=0) + 5)
    plugins = {p.get("name") for p in world.findall("plugin")}
    assert {"gz::sim::systems::Physics", "gz::sim::systems::Sensors", "gz::sim::systems::SceneBroadcaster",
            "gz::sim::systems::UserCommands"} <= plugins
    assert world.find("plugin[@name='gz::sim::systems::Sensors']/render_engine").text == "ogre2"


@pytest.mark.parametrize("track", shipped_track_names())
def test_meshes_load_in_assimp(assimp, track):
    """An independent COLLADA reader (assimp, as gz-common can use) loads every mesh fully."""
    built = build_meshes(load_outline(track))
    for part in ("surface", "borders", "centre_line"):
        path = WORLDS / "models" / track_model_name(track) / "meshes" / f"{part}.dae"
        result = subprocess.run([assimp, "info", str(path)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
        faces = next(line for line in result.stdout.splitlines() if line.startswith("Faces:"))
        assert int(faces.split()[1]) == len(getattr(built, part).triangles)
        assert "Primitive Types:    triangles" in result.stdout


def test_offset_polyline_keeps_distance_on_a_square():
    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]], dtype=float)
    inside = offset_polyline(square, 0.1, closed=True)  # left of a CCW ring is inside
    np.testing.assert_allclose(inside[:-1], [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9], [0.1, 0.9]], atol=1e-12)
    band = ribbon(square, 0.2, closed=True)
    area = _triangle_union(band.vertices, band.triangles).area
    assert area == pytest.approx(1.2**2 - 0.8**2)


def test_ribbon_rejects_a_single_point():
    with pytest.raises(ValueError, match="two distinct points"):
        ribbon(np.array([[1.0, 2.0], [1.0, 2.0]]), 0.05, closed=False)
