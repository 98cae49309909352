"""Everything launch/gazebo.launch.py decides, as plain Python (testable without ROS or Gazebo).

Given a track and a model folder it picks the world file (a committed one for shipped tracks,
one generated into a cache folder for any other route file), the car variant that carries
the model's sensors, where to spawn the car, and the command lines for gz sim, the spawner
and the bridges.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from deepracer_sim.gazebo import topics
from deepracer_sim.gazebo.car import CAR_VARIANTS, CarVariant, car_model_files, variant_for_sensors
from deepracer_sim.gazebo.generate import write_files
from deepracer_sim.gazebo.track_source import load_outline, sdf_name
from deepracer_sim.gazebo.world import world_files

# Drop height for the spawned car: the wheels settle onto the floor instead of starting in it.
SPAWN_Z = 0.01
CACHE_ENV = "DEEPRACER_GAZEBO_CACHE"


@dataclass(frozen=True)
class GazeboLaunchPlan:
    world_name: str
    world_file: Path
    resource_paths: tuple[str, ...]   # folders for GZ_SIM_RESOURCE_PATH (model:// lookups)
    car: CarVariant
    car_file: Path
    spawn_pose: tuple[float, float, float, float]  # x, y, z, yaw
    gz_args: str
    spawn_args: tuple[str, ...]
    service_bridge_args: tuple[str, ...]


def default_cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "deepracer" / "gazebo")


def car_for_model(model_path: str | os.PathLike | None, car: str | None) -> CarVariant:
    """The car variant named by `car`, else the one carrying the model's sensors, else the camera car."""
    if car:
        if car not in CAR_VARIANTS:
            raise ValueError(f"unknown car '{car}'; choose one of {', '.join(sorted(CAR_VARIANTS))}")
        return CAR_VARIANTS[car]
    if model_path:
        from deepracer_common.model_files import load_metadata

        return variant_for_sensors(list(load_metadata(model_path).sensor))
    return CAR_VARIANTS["camera"]


def plan(
    track: str,
    worlds_dir: str | os.PathLike,
    model_path: str | os.PathLike | None = None,
    car: str | None = None,
    headless: bool = False,
    reverse: bool = False,
    cache_dir: str | os.PathLike | None = None,
) -> GazeboLaunchPlan:
    worlds_dir = Path(worlds_dir)
    outline = load_outline(track)
    name = sdf_name(outline.name)
    committed = worlds_dir / f"{name}.sdf"
    expected = world_files(outline)
    if committed.is_file() and committed.read_bytes() == expected[f"{name}.sdf"]:
        world_file, models = committed, worlds_dir / "models"
        resource_paths = (str(models),)
    else:
        # Not a shipped track (or an edited one): generate its world next to the user's cache.
        cache = Path(cache_dir) if cache_dir else default_cache_dir()
        write_files(cache, expected)
        write_files(cache, {f"models/{path}": data for path, data in car_model_files().items()})
        world_file, models = cache / f"{name}.sdf", cache / "models"
        resource_paths = (str(models), str(worlds_dir / "models"))
    variant = car_for_model(model_path, car)
    car_file = Path(resource_paths[0]) / variant.name / "model.sdf"
    if not car_file.is_file():
        car_file = worlds_dir / "models" / variant.name / "model.sdf"

    from deepracer_sim.tracks import load_track

    directed = load_track(track, reverse=reverse)
    x, y = (float(v) for v in directed.point_at(0.0))
    yaw = directed.heading_at(0.0)
    gz_args = ("-r -s --headless-rendering " if headless else "-r ") + str(world_file)
    spawn_args = (
        "-world", name, "-file", str(car_file), "-name", topics.CAR_ENTITY,
        "-x", f"{x:.6f}", "-y", f"{y:.6f}", "-z", f"{SPAWN_Z:.3f}", "-Y", f"{yaw:.6f}",
    )
    service = f"{topics.gz_set_pose_service(name)}@ros_gz_interfaces/srv/SetEntityPose"
    return GazeboLaunchPlan(
        world_name=name,
        world_file=world_file,
        resource_paths=resource_paths,
        car=variant,
        car_file=car_file,
        spawn_pose=(x, y, SPAWN_Z, math.remainder(yaw, 2 * math.pi)),
        gz_args=gz_args,
        spawn_args=spawn_args,
        service_bridge_args=(service,),
    )
