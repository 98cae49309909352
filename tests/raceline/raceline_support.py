"""Shared checks of the racing-line tests."""
import numpy as np
import shapely
from shapely.geometry import LineString

from deepracer_sim.raceline import CAR_HALF_WIDTH

AWS_ROUTES = ("reinvent_base", "reInvent2019_track", "Oval_track", "Bowtie_track")


def border_clearance(track, xy: np.ndarray) -> float:
    """Smallest distance (shapely) from the polyline through `xy`, sampled every 5 mm, to either border."""
    polyline = LineString(xy)
    points = shapely.line_interpolate_point(polyline, np.arange(0.0, polyline.length, 0.005))
    inner, outer = LineString(track.inner), LineString(track.outer)
    return float(min(shapely.distance(points, inner).min(), shapely.distance(points, outer).min()))


def assert_on_the_road_with_margin(track, line, margin):
    xy = line.closed_xy()
    # On the road (an open track's line starts and ends on its start and finish edges).
    assert shapely.covers(track.road_polygon.buffer(1e-9), shapely.points(xy)).all()
    clearance = border_clearance(track, xy)
    # The car's half-width and the margin are kept to a millimetre (the chords between the 5 cm points).
    assert clearance >= CAR_HALF_WIDTH + margin - 1e-3, f"{clearance:.4f} m from a border"
    return clearance
