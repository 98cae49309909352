"""Racing-line figures: `python -m deepracer_sim.bench.raceline [TRACK ...]`.

For each track (default: every shipped track, and the AWS routes found in $DEEPRACER_SHARED_TRACKS or
../shared/tracks beside the repository) prints the racing line's solve time (median of several runs,
wall clock and this process's CPU time), its length and lap-time estimates, and the oracle's lap
in the simulator (deterministic: one run), forward and reversed. The first solve of a process also
pays for importing scipy, shapely and Clarabel; it is left out of the medians.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

AWS_ROUTES = ("reinvent_base", "reInvent2019_track", "Oval_track", "Bowtie_track")


def default_tracks() -> list[str]:
    from deepracer_sim.tracks import list_tracks

    tracks = list(list_tracks())
    repository = Path(__file__).resolve().parents[4]
    shared = Path(os.environ.get("DEEPRACER_SHARED_TRACKS", repository.parent / "shared" / "tracks"))
    tracks += [str(shared / f"{name}.npy") for name in AWS_ROUTES if (shared / f"{name}.npy").is_file()]
    return tracks


def main(argv: list[str] | None = None) -> int:
    from deepracer_sim.raceline.line import compute_racing_line
    from deepracer_sim.raceline.oracle import drive_oracle_lap
    from deepracer_sim.tracks import load_track

    parser = argparse.ArgumentParser(prog="python -m deepracer_sim.bench.raceline", description=__doc__.split("\n\n")[0])
    parser.add_argument("tracks", nargs="*", help="track names or route files (default: shipped and AWS)")
    parser.add_argument("--runs", type=int, default=5, help="solves per track for the medians (default 5)")
    args = parser.parse_args(argv)
    tracks = args.tracks or default_tracks()
    compute_racing_line(load_track(tracks[0]))  # imports and numba kernels, outside the figures
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; medians of {args.runs} solves")
    print(f"{'track':22s} {'dir':4s} {'solve s':>8s} {'cpu s':>7s} {'line m':>7s} {'flying':>7s} {'standing':>8s} "
          f"{'full grip':>9s} {'oracle':>7s} {'off line':>8s}  wheels")
    for name in tracks:
        for reverse in (False, True):
            track = load_track(name, reverse=reverse)
            walls, cpus = [], []
            for _ in range(max(args.runs, 1)):
                started, started_cpu = time.perf_counter(), time.process_time()
                line = compute_racing_line(track)
                walls.append(time.perf_counter() - started)
                cpus.append(time.process_time() - started_cpu)
            lap = drive_oracle_lap(track, line)
            oracle = f"{lap.lap_time:7.2f}" if lap.completed else f"{lap.status:>7s}"
            wheels = "all on" if lap.all_wheels_on_track else "some off"
            print(f"{track.name:22s} {'rev' if reverse else 'fwd':4s} {statistics.median(walls):8.3f} "
                  f"{statistics.median(cpus):7.3f} {line.length:7.2f} {line.lap_time:7.2f} {line.standing_lap_time:8.2f} "
                  f"{line.friction_limit_lap_time:9.2f} {oracle} {lap.joined_line_distance:8.3f}  {wheels}")
    print("flying / standing: the line's lap estimate at its speed profile (85 % of the grip), from speed and "
          "from rest; full grip: flying at the friction limit; oracle: pure pursuit in RaceSimulation from rest; "
          "off line: the oracle's largest distance (m) from the line once it has joined it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
