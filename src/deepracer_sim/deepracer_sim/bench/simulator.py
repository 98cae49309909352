"""Simulator throughput: `python -m deepracer_sim.bench`.

Prints environment steps per second (median of several runs, by wall clock and
by this process's CPU time) for the camera
environment alone, eight camera environments vectorised in one process, and a
LIDAR-only environment, then what one step costs by part. Actions are drawn
at random from the workshop action space, so episodes end and reset as they do
early in training; resets are included in the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np


def _env_rate(make, steps: int, runs: int, vector: int = 0) -> tuple[list[float], list[float]]:
    """Steps per wall-clock second and per CPU second of this process, one figure per run.

    On a shared machine the wall-clock rate drops when other processes take the
    core; the CPU-time rate is what one core gives when it is ours alone.
    """
    env = make()
    rng = np.random.default_rng(0)
    env.reset(seed=0)
    wall, cpu = [], []
    for run in range(runs + 1):  # the first run warms up (numba loads, caches fill)
        actions = rng.integers(0, 15, size=(steps, vector) if vector else steps)
        started, started_cpu = time.perf_counter(), time.process_time()
        for action in actions:
            if vector:
                env.step(action)
            else:
                _, _, terminated, truncated, _ = env.step(int(action))
                if terminated or truncated:
                    env.reset()
        elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu
        if run:
            wall.append(steps * max(vector, 1) / elapsed)
            cpu.append(steps * max(vector, 1) / max(elapsed_cpu, 1e-9))
    return wall, cpu


def _time_call(function, repeat: int = 2000) -> float:
    """Median CPU microseconds per call over 5 batches."""
    function()
    samples = []
    for _ in range(5):
        started = time.process_time()
        for _ in range(repeat):
            function()
        samples.append((time.process_time() - started) / repeat * 1e6)
    return statistics.median(samples)


def breakdown(track_name: str, repeat: int = 2000) -> dict[str, float]:
    """Microseconds per call of each part of a step."""
    from deepracer_common.observations import lidar_observation
    from deepracer_sim.car import Car
    from deepracer_sim.race.params import ParamsBuilder, copy_params
    from deepracer_sim.race.reward_function import call_reward, centre_line_reward
    from deepracer_sim.race.simulation import RaceSimulation
    from deepracer_sim.sensors.camera import CameraRenderer
    from deepracer_sim.sensors.lidar import Lidar
    from deepracer_sim.tracks import load_track

    track = load_track(track_name)
    car = Car()
    car.place(*track.point_at(0.0), track.heading_at(0.0))
    builder = ParamsBuilder(track)
    x, y, yaw = car.pose
    params = builder.build(x, y, yaw, 0.0, 1.0, 0.0, 0.0, 2.0)
    camera = CameraRenderer(track)
    lidar = Lidar(track)
    one = np.array([car.pose])
    eight = np.repeat(one, 8, axis=0) + np.linspace(0, 0.5, 8)[:, None] * [1, 0, 0]
    sim = RaceSimulation(track)
    sim.reset()

    def sim_step():
        sim.begin_step(0.0, 0.5)
        if sim.finish_step().terminated:
            sim.reset()

    return {
        "physics (one 1/15 s step)": _time_call(lambda: car.drive(5.0, 1.0, 1 / 15), repeat),
        "params (geometry + dict)": _time_call(lambda: builder.build(x, y, yaw, 0.0, 1.0, 0.0, 0.0, 2.0), repeat),
        "reward call (copy + checks)": _time_call(lambda: call_reward(centre_line_reward, copy_params(params), 2),
                                                  repeat),
        "simulation step without sensors": _time_call(sim_step, repeat),
        "camera render, 1 frame": _time_call(lambda: camera.render(one), max(repeat // 4, 1)),
        "camera render, 8 frames in one call (per frame)": _time_call(lambda: camera.render(eight),
                                                                      max(repeat // 20, 1)) / 8,
        "lidar scan + observation, 1 car": _time_call(lambda: lidar_observation(lidar.scan(one), "LIDAR"),
                                                      max(repeat // 4, 1)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--track", default="crescent_loop")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (median reported)")
    parser.add_argument("--steps", type=int, default=3000, help="environment steps per run (per car when vectorised)")
    parser.add_argument("--repeat", type=int, default=2000, help="calls per batch in the per-part timings")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    from deepracer_sim.env import DeepRacerEnv, make_vector_env

    track = args.track
    results: dict[str, object] = {"track": track, "runs": args.runs}
    figures = {
        "camera env, single": lambda: _env_rate(lambda: DeepRacerEnv(track=track), args.steps, args.runs),
        "camera env, vectorised x8 (aggregate)": lambda: _env_rate(
            lambda: make_vector_env(8, track=track), max(args.steps // 8, 50), args.runs, vector=8),
        "LIDAR-only env, single": lambda: _env_rate(lambda: DeepRacerEnv(track=track, sensors=["LIDAR"]),
                                                    args.steps, args.runs),
    }
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"deepracer_sim benchmark on {track}: environment steps per second, median of {args.runs} runs "
          f"(load average {load:.1f} on {os.cpu_count()} cores)")
    print(f"  {'':40s} {'wall clock':>12s} {'CPU time':>12s}")
    for name, measure in figures.items():
        wall, cpu = measure()
        results[name] = {"wall_median": statistics.median(wall), "wall_runs": wall,
                         "cpu_median": statistics.median(cpu), "cpu_runs": cpu}
        print(f"  {name:40s} {statistics.median(wall):12,.0f} {statistics.median(cpu):12,.0f}")
    print("per part, CPU microseconds per call:")
    parts = breakdown(track, args.repeat)
    for name, micros in parts.items():
        print(f"  {name:48s} {micros:8.1f}")
    results["parts_us"] = parts
    if args.json:
        with open(args.json, "w") as stream:
            json.dump(results, stream, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
