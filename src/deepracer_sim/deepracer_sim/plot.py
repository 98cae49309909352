"""Top-down pictures of a track with the paths cars drove, for reports (matplotlib, Agg)."""
from __future__ import annotations

import os
from typing import Mapping, Sequence

import numpy as np

from deepracer_common.atomic import write_with_atomic
from deepracer_sim.tracks import Track, load_track


def plot_track(
    track: "str | os.PathLike | Track",
    paths: "Mapping[str, Sequence] | Sequence[Sequence] | None" = None,
    out_png: "str | os.PathLike | None" = None,
    title: str | None = None,
    objects: "np.ndarray | None" = None,
    colour_by: "Sequence[Sequence[float]] | None" = None,
    dpi: int = 120,
):
    """Draw a track (borders, centre line, start and direction) and car paths.

    paths: {label: (M, 2) x, y points} or a list of (M, 2) arrays.
    objects: optional (K, 7) objects (x, y, yaw, length, width, ...) drawn as rectangles.
    colour_by: per-path values (e.g. speed) to colour the points of each path.
    Returns the matplotlib Figure; with out_png the PNG is written atomically.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.patches import Polygon as PolygonPatch

    track = track if isinstance(track, Track) else load_track(track)
    figure, axes = plt.subplots(figsize=(8, 8))
    road = np.vstack((track.outer, track.inner[::-1])) if not track.is_loop else None
    if track.is_loop:
        axes.fill(track.outer[:, 0], track.outer[:, 1], color="#3a3a3a", zorder=0)
        axes.fill(track.inner[:, 0], track.inner[:, 1], color="white", zorder=0)
    else:
        axes.add_patch(PolygonPatch(road, closed=True, color="#3a3a3a", zorder=0))
    axes.plot(track.inner[:, 0], track.inner[:, 1], color="white", linewidth=1.5, zorder=1)
    axes.plot(track.outer[:, 0], track.outer[:, 1], color="white", linewidth=1.5, zorder=1)
    axes.plot(track.centre[:, 0], track.centre[:, 1], color="#f2c200", linewidth=1, linestyle="--", zorder=1)
    start = track.centre[0]
    heading = track.heading_at(0.0)
    axes.annotate("", xy=(start[0] + 0.5 * np.cos(heading), start[1] + 0.5 * np.sin(heading)), xytext=tuple(start),
                  arrowprops={"arrowstyle": "->", "color": "#2ecc71", "linewidth": 2}, zorder=3)
    axes.plot(*start, marker="o", color="#2ecc71", zorder=3)
    if objects is not None and len(objects):
        from deepracer_sim.tracks.geometry import rectangle_corners

        for row in np.asarray(objects, dtype=float):
            corners = rectangle_corners(row[0], row[1], row[2], row[3], row[4])[[0, 1, 3, 2]]
            colour = "#c8a06a" if len(row) < 7 or row[6] == 0 else "#d6342e"
            axes.add_patch(PolygonPatch(corners, closed=True, color=colour, zorder=2))
    if paths is not None:
        items = list(paths.items()) if isinstance(paths, Mapping) else [(None, p) for p in paths]
        for k, (label, path) in enumerate(items):
            points = np.asarray(path, dtype=float)
            if points.ndim != 2 or points.shape[1] < 2:
                raise ValueError(f"path {label or k} must be an (M, 2) array of x, y, got shape {points.shape}")
            if colour_by is not None:
                scatter = axes.scatter(points[:, 0], points[:, 1], c=np.asarray(colour_by[k]), s=6, cmap="viridis",
                                       zorder=4, label=label)
                figure.colorbar(scatter, ax=axes, shrink=0.7)
            else:
                axes.plot(points[:, 0], points[:, 1], linewidth=1.5, zorder=4, label=label)
        if any(label for label, _ in items):
            axes.legend(loc="best")
    axes.set_aspect("equal")
    axes.set_xlabel("x (m)")
    axes.set_ylabel("y (m)")
    direction = "reversed" if track.is_reversed else "forward"
    axes.set_title(title or f"{track.name} ({direction}, {track.length:.2f} m)")
    axes.grid(alpha=0.3)
    if out_png is not None:
        try:
            write_with_atomic(out_png, lambda stream: figure.savefig(stream, format="png", dpi=dpi, bbox_inches="tight"))
        finally:
            plt.close(figure)
    return figure
