"""`deepracer params` and `deepracer tracks`: simulator commands of the `deepracer` CLI.

`deepracer params` prints the params dict a reward function would receive for a
car pose, so users can unit-test reward functions without a simulator:

    deepracer params --track crescent_loop --x 0.5 --y 0.1 --heading 10 --steering-angle 15 --speed 1
"""
from __future__ import annotations

import argparse
import json
import math
import sys


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be finite, got {text!r}")
    return value


def _object(text: str) -> tuple[float, ...]:
    parts = text.split(",")
    if len(parts) not in (2, 3):
        raise argparse.ArgumentTypeError(f"an object is X,Y or X,Y,HEADING_RAD, got {text!r}")
    return tuple(_finite(p) for p in parts)


def register(subparsers) -> None:
    params = subparsers.add_parser(
        "params",
        help="print the reward function's params for a car pose (JSON)",
        description="Print the params dict a DeepRacer reward function receives for a car whose base_link "
        "(the midpoint between the axles) is at X, Y with the given heading; x, y in the output are "
        "0.14 m further forward, as in the AWS simulator.",
    )
    params.add_argument("--track", required=True, help="shipped track name or route .npy file")
    params.add_argument("--x", type=_finite, required=True, help="base_link x (m)")
    params.add_argument("--y", type=_finite, required=True, help="base_link y (m)")
    params.add_argument("--heading", type=_finite, required=True, help="yaw in degrees, CCW from +x")
    params.add_argument("--steering-angle", type=_finite, default=0.0, help="commanded steering (deg, + left)")
    params.add_argument("--speed", type=_finite, default=0.0, help="commanded speed (m/s)")
    params.add_argument("--reverse", action="store_true", help="drive the track against its file order")
    params.add_argument("--start-ndist", type=_finite, default=0.0,
                        help="episode start point as a fraction of the track (progress is measured from it)")
    params.add_argument("--prev-progress", type=_finite, default=None,
                        help="previous step's progress, to apply the finish-line corrections")
    params.add_argument("--steps", type=_finite, default=2.0, help="step counter (default 2, the first RUN step)")
    params.add_argument("--object", dest="objects", type=_object, action="append", default=[],
                        metavar="X,Y[,HEADING]", help="an obstacle or bot car position (repeatable)")
    params.add_argument("--bot-car-speed", type=_finite, default=None,
                        help="treat the objects as bot cars driving at this speed (m/s)")
    params.add_argument("--no-waypoints", action="store_true", help="leave the waypoint list out of the output")
    params.set_defaults(handler=params_command)

    tracks = subparsers.add_parser("tracks", help="list the shipped tracks with their length and width")
    tracks.set_defaults(handler=tracks_command)

    from deepracer_sim.raceline.cli import register as register_raceline

    register_raceline(subparsers)


def params_command(args) -> int:
    from deepracer_sim.race.params import reward_params

    result = reward_params(
        args.track, args.x, args.y, args.heading, steering_angle=args.steering_angle, speed=args.speed,
        reverse=args.reverse, start_ndist=args.start_ndist, objects=args.objects, bot_car_speed=args.bot_car_speed,
        steps=args.steps, prev_progress=args.prev_progress,
    )
    if args.no_waypoints:
        result.pop("waypoints")
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def tracks_command(args) -> int:
    from deepracer_sim.tracks import list_tracks, load_track

    for name in list_tracks():
        track = load_track(name)
        shape = "loop" if track.is_loop else "open"
        print(f"{name:20s} {track.length:7.3f} m  width {track.width:.3f} m  {shape}, "
              f"{'counter-clockwise' if track.is_ccw else 'clockwise'}")
    return 0
