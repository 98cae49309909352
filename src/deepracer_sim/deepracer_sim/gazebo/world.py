"""gz-sim worlds generated from a track: ground, road surface, border lines, dashed centre
line, optional walls, lighting.

Each track becomes `worlds/<track>.sdf` plus a static model `worlds/models/<track>_track/`
(model.config, model.sdf, meshes/*.dae) that the world includes with `model://`, so
`GZ_SIM_RESOURCE_PATH=worlds/models` is all Gazebo needs. Colours, line widths and the wall
offset come from the embedded camera renderer so both simulators show the same scene.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from deepracer_sim.gazebo import mesh as meshes
from deepracer_sim.gazebo.sdf import comment, document, material, pose, sub
from deepracer_sim.gazebo.track_source import TrackOutline, load_outline, sdf_name
from deepracer_sim.sensors import camera, scene, texture

# Heights of the flat layers above the ground plane; far enough apart not to z-fight at the
# camera's 0.13 m height, low enough that the car never drives "into" them.
SURFACE_Z = 0.001
LINE_Z = 0.002
# Ground reaching this far past the track keeps the camera from seeing the world's edge.
GROUND_MARGIN = 20.0
WALL_THICKNESS = 0.05
# The wheel friction in the car model is 0.5 (docs/deepracer-semantics.md#car-geometry). Giving the floor the same value
# makes the contact friction 0.5 whether the engine combines the two by minimum (ODE, DART)
# or by geometric mean.
GROUND_FRICTION = 0.5

MESH_NAMES = ("surface", "borders", "centre_line")


@dataclass(frozen=True)
class TrackMeshes:
    surface: meshes.Mesh
    borders: meshes.Mesh
    centre_line: meshes.Mesh


def track_model_name(track_name: str) -> str:
    return f"{sdf_name(track_name)}_track"


def border_band(border: np.ndarray, centre: np.ndarray, closed: bool) -> meshes.Mesh:
    """The white line along one border: BORDER_LINE_WIDTH wide, on the road, its outer edge
    exactly the border polyline (the embedded renderer's convention).

    The band is the border offset perpendicular towards the side the centre line lies on, not
    towards each row's centre point: AWS route rows are not always perpendicular to the road,
    and a row-wise inset would leave the edge up to 3 cm off the border.
    """
    points = meshes.drop_repeats(np.asarray(border, dtype=np.float64))
    tangent = np.gradient(points, axis=0)
    nearest = centre[np.argmin(np.linalg.norm(points[:, None, :] - centre[None, :, :], axis=2), axis=1)]
    to_centre = nearest - points
    left = np.sum(tangent[:, 0] * to_centre[:, 1] - tangent[:, 1] * to_centre[:, 0])
    side = 1.0 if left > 0 else -1.0
    return meshes.strip_between(points, meshes.offset_polyline(points, side * texture.BORDER_LINE_WIDTH, closed))


def build_meshes(outline: TrackOutline) -> TrackMeshes:
    return TrackMeshes(
        surface=meshes.road_surface(outline.inner, outline.outer),
        borders=meshes.Mesh.merge(
            [border_band(border, outline.centre, outline.is_loop) for border in (outline.inner, outline.outer)]
        ),
        centre_line=meshes.dashes(
            outline.centre, texture.CENTRE_LINE_WIDTH, texture.CENTRE_DASH_LENGTH, texture.CENTRE_DASH_GAP
        ),
    )


def _rgba(rgb255) -> tuple[float, float, float, float]:
    return tuple(c / 255.0 for c in rgb255) + (1.0,)


def track_model_files(outline: TrackOutline) -> dict[str, bytes]:
    """Files of the static track model, keyed by path relative to the models folder."""
    name = track_model_name(outline.name)
    built = build_meshes(outline)
    colours = {
        "surface": texture.COLOR_ASPHALT,
        "borders": texture.COLOR_BORDER_LINE,
        "centre_line": texture.COLOR_CENTRE_LINE,
    }
    heights = {"surface": SURFACE_Z, "borders": LINE_Z, "centre_line": LINE_Z}
    files = {
        f"{name}/meshes/{part}.dae": meshes.collada_document(getattr(built, part), part, _rgba(colours[part]))
        for part in MESH_NAMES
    }

    model = ET.Element("model", name=name)
    sub(model, "static", True)
    link = sub(model, "link", name="track")
    for part in MESH_NAMES:
        visual = sub(link, "visual", name=part)
        pose(visual, (0.0, 0.0, heights[part]))
        sub(visual, "cast_shadows", False)
        geometry = sub(sub(visual, "geometry"), "mesh")
        sub(geometry, "uri", f"model://{name}/meshes/{part}.dae")
        material(visual, colours[part])
    files[f"{name}/model.sdf"] = document(model)
    files[f"{name}/model.config"] = model_config(
        name, f"DeepRacer track '{outline.name}': road surface, border lines and dashed centre line "
        "generated from its route file by deepracer_sim.gazebo."
    )
    return files


def model_config(name: str, description: str) -> bytes:
    root = ET.Element("model")
    sub(root, "name", name)
    sub(root, "version", "1.0")
    sub(root, "sdf", "model.sdf", version="1.9")
    author = sub(root, "author")
    sub(author, "name", "DeepRacer ROS maintainers")
    sub(author, "email", "maintainers@deepracer-ros.dev")
    sub(root, "description", description)
    ET.indent(root, space="  ")
    return b'<?xml version="1.0"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def _plugin(parent, filename: str, name: str, **children) -> ET.Element:
    element = sub(parent, "plugin", filename=filename, name=name)
    for tag, value in children.items():
        sub(element, tag, value)
    return element


def _wall_model(world: ET.Element, outline: TrackOutline) -> None:
    wall = sub(world, "model", name="walls")
    sub(wall, "static", True)
    link = sub(wall, "link", name="walls")
    index = 0
    for line in scene.wall_polylines(outline, scene.WALL_OFFSET):
        for (x0, y0), (x1, y1) in zip(line[:-1], line[1:]):
            length = math.hypot(x1 - x0, y1 - y0)
            if length < 1e-4:
                continue
            # Each box overlaps its neighbours by half a thickness so corners have no gaps.
            size = (length + WALL_THICKNESS, WALL_THICKNESS, scene.WALL_HEIGHT)
            centre = ((x0 + x1) / 2.0, (y0 + y1) / 2.0, scene.WALL_HEIGHT / 2.0)
            yaw = math.atan2(y1 - y0, x1 - x0)
            for kind in ("collision", "visual"):
                element = sub(link, kind, name=f"wall_{index}_{kind}")
                pose(element, centre, (0.0, 0.0, yaw))
                sub(sub(sub(element, "geometry"), "box"), "size", size)
                if kind == "visual":
                    material(element, camera.COLOR_WALL)
            index += 1


def world_document(outline: TrackOutline, walls: bool = False) -> bytes:
    name = sdf_name(outline.name)
    points = np.vstack((outline.inner, outline.outer))
    low, high = points.min(axis=0), points.max(axis=0)
    middle = (low + high) / 2.0
    ground_size = tuple(float(v) for v in (high - low + 2.0 * GROUND_MARGIN))

    world = ET.Element("world", name=name)
    comment(world, f"Generated by `deepracer gazebo worlds` from track '{outline.name}'; do not edit.")
    physics = sub(world, "physics", name="1ms", type="ignored")
    sub(physics, "max_step_size", 0.001)
    sub(physics, "real_time_factor", 1.0)
    _plugin(world, "gz-sim-physics-system", "gz::sim::systems::Physics")
    _plugin(world, "gz-sim-user-commands-system", "gz::sim::systems::UserCommands")
    _plugin(world, "gz-sim-scene-broadcaster-system", "gz::sim::systems::SceneBroadcaster")
    _plugin(world, "gz-sim-sensors-system", "gz::sim::systems::Sensors", render_engine="ogre2")

    scene_element = sub(world, "scene")
    sub(scene_element, "ambient", (0.6, 0.6, 0.6, 1.0))
    sub(scene_element, "background", tuple(round(c / 255.0, 4) for c in camera.COLOR_SKY_HORIZON) + (1.0,))
    sub(scene_element, "shadows", False)
    sub(scene_element, "grid", False)

    sun = sub(world, "light", name="sun", type="directional")
    sub(sun, "cast_shadows", False)
    pose(sun, (float(middle[0]), float(middle[1]), 10.0))
    sub(sun, "diffuse", (0.8, 0.8, 0.8, 1.0))
    sub(sun, "specular", (0.1, 0.1, 0.1, 1.0))
    sub(sun, "direction", (-0.3, 0.2, -0.9))

    ground = sub(world, "model", name="ground_plane")
    sub(ground, "static", True)
    link = sub(ground, "link", name="ground")
    collision = sub(link, "collision", name="ground")
    plane = sub(sub(collision, "geometry"), "plane")
    sub(plane, "normal", (0.0, 0.0, 1.0))
    sub(plane, "size", ground_size)
    friction = sub(sub(sub(collision, "surface"), "friction"), "ode")
    sub(friction, "mu", GROUND_FRICTION)
    sub(friction, "mu2", GROUND_FRICTION)
    visual = sub(link, "visual", name="ground")
    sub(visual, "cast_shadows", False)
    plane = sub(sub(visual, "geometry"), "plane")
    sub(plane, "normal", (0.0, 0.0, 1.0))
    sub(plane, "size", ground_size)
    material(visual, texture.COLOR_OFF_TRACK)
    pose(ground, (float(middle[0]), float(middle[1]), 0.0))

    include = sub(world, "include")
    sub(include, "uri", f"model://{track_model_name(outline.name)}")
    sub(include, "name", "track")
    pose(include)

    if walls:
        _wall_model(world, outline)
    return document(world)


def world_files(track: str | Path | TrackOutline, walls: bool = False) -> dict[str, bytes]:
    """Every file of one track's world, keyed by path relative to the worlds folder."""
    outline = track if isinstance(track, TrackOutline) else load_outline(track)
    files = {f"{sdf_name(outline.name)}.sdf": world_document(outline, walls)}
    files.update({f"models/{path}": data for path, data in track_model_files(outline).items()})
    return files
