"""Sensor throughput: `python -m deepracer_sim.bench.sensors [--track NAME_OR_PATH] [--json]`.

Prints frames per second for each camera configuration, one frame per call ("single") and
eight frames per call ("batch x8", what a vectorised environment does), plus LIDAR scans per
second; each figure is the median of several timed runs on one core, by the wall clock and
as CPU microseconds per frame. The car drives around
the track's centre line with a box and a bot car ahead of it, so objects are in view.
`sensor_rates()` returns the same figures for the environment benchmark.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import numpy as np

CAMERA_CONFIGS = {
    "mono": {},
    "mono+walls": {"walls": True},
    "stereo": {"stereo": True},
    "rgb": {"rgb": True},
}


def _poses_along(track: Any, count: int) -> np.ndarray:
    centre = np.asarray(track.centre, dtype=np.float64)
    index = np.linspace(0, len(centre) - 2, count).astype(int)
    heading = np.arctan2(centre[index + 1, 1] - centre[index, 1], centre[index + 1, 0] - centre[index, 0])
    return np.column_stack([centre[index], heading])


def _objects_ahead(poses: np.ndarray) -> np.ndarray:
    """(N, 2, 7): a box 1.2 m ahead and a bot car 2.5 m ahead of each pose."""
    objects = np.empty((len(poses), 2, 7))
    for i, (x, y, yaw) in enumerate(poses):
        c, s = np.cos(yaw), np.sin(yaw)
        objects[i, 0] = [x + 1.2 * c - 0.15 * s, y + 1.2 * s + 0.15 * c, yaw + 0.3, 0.4, 0.3, 0.25, 0]
        objects[i, 1] = [x + 2.5 * c + 0.2 * s, y + 2.5 * s - 0.2 * c, yaw, 0.32, 0.2, 0.2, 1]
    return objects


def _rate(call, poses: np.ndarray, objects: np.ndarray, batch: int, frames: int, runs: int) -> tuple[float, float]:
    """Median frames per second of `call(poses[i:i+batch], objects[i:i+batch])`, by the wall
    clock and by this process's CPU time (the second is steadier on a busy machine)."""
    call(poses[:batch], objects[:batch])   # compile / load caches
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        done = 0
        while done < frames:
            start = done % (len(poses) - batch + 1)
            call(poses[start:start + batch], objects[start:start + batch])
            done += batch
        wall.append(done / (time.perf_counter() - started))
        cpu.append(done / max(time.process_time() - started_cpu, 1e-9))
    return statistics.median(wall), statistics.median(cpu)


def sensor_rates(track: Any = None, frames: int = 800, runs: int = 5) -> dict[str, dict[str, float]]:
    """{configuration: {"single", "batch8", "single_cpu", "batch8_cpu": frames/s}} for the
    cameras and the LIDAR; *_cpu count this process's CPU time instead of the wall clock."""
    from deepracer_sim.sensors.camera import CameraRenderer
    from deepracer_sim.sensors.lidar import Lidar
    from deepracer_sim.tracks import load_track

    if track is None:
        track = load_track("beginner_oval")
    elif isinstance(track, str):
        track = load_track(track)
    poses = _poses_along(track, 64)
    objects = _objects_ahead(poses)
    results: dict[str, dict[str, float]] = {}

    def measure(call, single_frames: int, batch_frames: int) -> dict[str, float]:
        single, single_cpu = _rate(call, poses, objects, 1, single_frames, runs)
        batch8, batch8_cpu = _rate(call, poses, objects, 8, batch_frames, runs)
        return {"single": single, "batch8": batch8, "single_cpu": single_cpu, "batch8_cpu": batch8_cpu}

    for name, options in CAMERA_CONFIGS.items():
        results[name] = measure(CameraRenderer(track, **options).render, frames // 2, frames)
    for name, walls in (("lidar", False), ("lidar+walls", True)):
        results[name] = measure(Lidar(track, walls=walls).scan, frames, frames * 4)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deepracer_sim.bench.sensors", description=__doc__.split("\n\n")[0])
    parser.add_argument("--track", default="beginner_oval", help="shipped track name or .npy route file")
    parser.add_argument("--frames", type=int, default=800, help="frames per timed run")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (the median is shown)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    results = sensor_rates(args.track, frames=args.frames, runs=args.runs)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"sensor throughput on {args.track} (one core, median of {args.runs} runs; objects in view)")
    print("frames/s by the wall clock; us/frame by CPU time (steadier when the machine is busy)")
    print(f"{'configuration':<14}{'single /s':>11}{'cpu us':>9}{'batch x8 /s':>14}{'cpu us':>9}")
    for name, rates in results.items():
        print(f"{name:<14}{rates['single']:>11,.0f}{1e6 / rates['single_cpu']:>9.1f}"
              f"{rates['batch8']:>14,.0f}{1e6 / rates['batch8_cpu']:>9.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
