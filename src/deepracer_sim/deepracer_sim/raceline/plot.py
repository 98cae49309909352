"""The racing line drawn over its track, coloured by the profile speed (matplotlib, Agg)."""
from __future__ import annotations

import os

import numpy as np

from deepracer_common.atomic import write_with_atomic
from deepracer_sim.plot import plot_track
from deepracer_sim.raceline.line import RacingLine


def plot_racing_line(track, line: RacingLine, out_png: str | os.PathLike, oracle_path: np.ndarray | None = None,
                     dpi: int = 120) -> None:
    """Write a PNG of the track with the racing line (coloured by speed) and, if given, the oracle's path."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    direction = "reversed" if line.is_reversed else "forward"
    title = (f"{line.track} ({direction}): racing line {line.length:.2f} m, margin {line.margin:.2f} m\n"
             f"lap {line.lap_time:.2f} s flying, {line.standing_lap_time:.2f} s from a standing start")
    figure = plot_track(track, title=title, dpi=dpi)
    try:
        axes = figure.axes[0]
        points = line.closed_xy()
        speed = line.closed(line.speed)
        segments = np.stack((points[:-1], points[1:]), axis=1)
        coloured = LineCollection(segments, array=0.5 * (speed[:-1] + speed[1:]), cmap="plasma", linewidths=2.5,
                                  zorder=5)
        axes.add_collection(coloured)
        figure.colorbar(coloured, ax=axes, shrink=0.7, label="profile speed (m/s)")
        if oracle_path is not None and len(oracle_path):
            axes.plot(oracle_path[:, 0], oracle_path[:, 1], color="#2ecc71", linewidth=1, linestyle="--", zorder=6,
                      label="oracle (pure pursuit)")
            axes.legend(loc="best")
        write_with_atomic(out_png, lambda stream: figure.savefig(stream, format="png", dpi=dpi, bbox_inches="tight"))
    finally:
        plt.close(figure)
