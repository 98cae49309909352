#!/usr/bin/env python3
"""Regenerate the shipped route files (src/deepracer_sim/deepracer_sim/tracks/data/*.npy).

The designs live in deepracer_sim/tracks/design.py; this script only writes them,
so the .npy files in git can always be rebuilt and checked:

    python scripts/make_tracks.py            # write every shipped track
    python scripts/make_tracks.py --check    # exit 1 if a stored file differs from its design
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src" / "deepracer_sim"))

import numpy as np  # noqa: E402

from deepracer_sim.tracks import DATA_DIR, Track, save_route  # noqa: E402
from deepracer_sim.tracks.design import build_shipped  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--out", type=Path, default=DATA_DIR, help=f"output folder (default {DATA_DIR})")
    args = parser.parse_args(argv)
    stale = []
    for name, route in build_shipped().items():
        path = args.out / f"{name}.npy"
        if args.check:
            if not path.is_file() or not np.allclose(np.load(path), route, rtol=0, atol=1e-9):
                stale.append(name)
            continue
        save_route(path, route)
        print(f"{path}: {Track(route, name=name)}")
    if stale:
        print(f"out of date: {', '.join(stale)} (run scripts/make_tracks.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
