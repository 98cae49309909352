"""`deepracer raceline TRACK`: the racing line of a track, its lap time, the oracle's lap, an action space.

    deepracer raceline crescent_loop --plot crescent.png
    deepracer raceline ../shared/tracks/reinvent_base.npy --margin 0.03 --config-out speed.json
    deepracer train --config speed.json --model fast

The line is written to the racing-line folder (see deepracer_sim.raceline.store), where the
speed_racing_line reward template finds it; --out writes another copy.
"""
from __future__ import annotations

import argparse
import json
import math
import sys

SPEED_TEMPLATE = "template:speed_racing_line"


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a non-negative number, got {text!r}")
    return value


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "raceline",
        help="compute a track's racing line, its speed profile and lap time; suggest an action space",
        description="Compute the minimum-curvature racing line of a track (keeping the car's half-width plus "
        "a margin from each border) and its speed profile for the simulated car's grip, acceleration, braking "
        "and 4 m/s top speed; drive it with the pure-pursuit oracle in the simulator; write it to the "
        "racing-line folder ($DEEPRACER_RACELINES or ~/.cache/deepracer/racelines), where the "
        "speed_racing_line reward template finds it; suggest a discrete action space.",
    )
    parser.add_argument("track", help="shipped track name or route .npy file")
    parser.add_argument("--reverse", action="store_true", help="the line for driving against the route's point order")
    parser.add_argument("--margin", type=_non_negative, default=None,
                        help="room kept beyond the car's half-width from each border, m (default 0.05)")
    parser.add_argument("--grip", type=float, default=None,
                        help="share of the tyres' friction the speed profile corners on, (0, 1] (default 0.85, "
                        "what the oracle holds at 15 Hz)")
    parser.add_argument("--out", metavar="PATH", help="also write the line (CSV) here")
    parser.add_argument("--plot", metavar="PNG", help="draw the line over the track (and the oracle's path)")
    parser.add_argument("--no-oracle", action="store_true", help="do not drive the oracle lap")
    parser.add_argument("--actions", type=int, default=None, metavar="N",
                        help="number of action clusters to suggest (default 7; a few more are added)")
    parser.add_argument("--config-out", metavar="FILE",
                        help="write a training config (track, suggested action space, speed_racing_line reward) "
                        "for `deepracer train --config FILE --model NAME`")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the summary")
    parser.set_defaults(handler=raceline_command)


def raceline_command(args) -> int:
    from deepracer_common.atomic import write_text_atomic
    from deepracer_sim.raceline.actions import DEFAULT_CLUSTERS, suggest_action_space
    from deepracer_sim.raceline.line import CAR_HALF_WIDTH, DEFAULT_GRIP, DEFAULT_MARGIN, compute_racing_line
    from deepracer_sim.raceline.oracle import drive_oracle_lap
    from deepracer_sim.raceline.store import write_racing_line
    from deepracer_sim.tracks import list_tracks, load_track
    from deepracer_sim.tracks.track import resolve_track_path

    grip = DEFAULT_GRIP if args.grip is None else args.grip
    if not (math.isfinite(grip) and 0 < grip <= 1):
        raise ValueError(f"--grip must be in (0, 1], got {args.grip}")
    clusters = DEFAULT_CLUSTERS if args.actions is None else args.actions
    if clusters < 1:
        raise ValueError(f"--actions must be at least 1, got {args.actions}")
    margin = DEFAULT_MARGIN if args.margin is None else args.margin
    track = load_track(args.track, reverse=args.reverse)
    line = compute_racing_line(track, margin=margin, grip=grip)
    cache_path = write_racing_line(line)
    copy_path = write_racing_line(line, args.out) if args.out else None
    lap = None if args.no_oracle else drive_oracle_lap(track, line)
    suggestion = suggest_action_space(line, clusters)
    if args.plot:
        from deepracer_sim.raceline.plot import plot_racing_line

        plot_racing_line(track, line, args.plot, None if lap is None else lap.path)
    config_track = args.track if args.track in list_tracks() else str(resolve_track_path(args.track).resolve())
    config = {
        "track": config_track,
        "reverse": bool(args.reverse),
        "race_type": "TIME_TRIAL",
        "vehicle": {"sensors": ["FRONT_FACING_CAMERA"], "neural_network": "3-layer CNN",
                    "action_space": suggestion.action_space_json()},
        "reward_function": SPEED_TEMPLATE,
    }
    if args.config_out:
        write_text_atomic(args.config_out, json.dumps(config, indent=2) + "\n")
    summary = {
        "track": line.track,
        "direction": "reversed" if line.is_reversed else "forward",
        "length_m": round(line.length, 4),
        "margin_m": line.margin,
        "clearance_m": round(line.clearance, 4),
        "min_clearance_m": round(line.min_clearance(track), 4),
        "grip": grip,
        "solve_seconds": round(line.solve_seconds, 4),
        "min_speed_m_s": round(float(line.speed.min()), 3),
        "max_speed_m_s": round(float(line.speed.max()), 3),
        "lap_time_s": round(line.lap_time, 3),
        "standing_lap_time_s": round(line.standing_lap_time, 3),
        "friction_limit_lap_time_s": round(line.friction_limit_lap_time, 3),
        "file": str(cache_path),
        "copy": str(copy_path) if copy_path else None,
        "plot": args.plot,
        "oracle": None if lap is None else {
            "completed": lap.completed,
            "lap_time_s": None if lap.lap_time is None else round(lap.lap_time, 3),
            "all_wheels_on_track": lap.all_wheels_on_track,
            "status": lap.status,
            "max_line_distance_m": round(lap.max_line_distance, 4),
            "joined_line_distance_m": round(lap.joined_line_distance, 4),
        },
        "action_space": suggestion.action_space_json(),
        "garage": suggestion.garage,
        "config": args.config_out,
    }
    if args.json:
        json.dump(summary, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    out = sys.stdout
    direction = summary["direction"]
    print(f"{line.track} ({direction}): racing line {line.length:.2f} m, at least {line.clearance:.3f} m from each border "
          f"(half-width {CAR_HALF_WIDTH:.3f} + margin {line.margin:.3f}; measured {summary['min_clearance_m']:.3f})", file=out)
    print(f"  solved in {line.solve_seconds:.2f} s", file=out)
    print(f"  speed {summary['min_speed_m_s']:.2f}-{summary['max_speed_m_s']:.2f} m/s cornering on {grip:.0%} of the grip: "
          f"lap {line.lap_time:.2f} s flying, {line.standing_lap_time:.2f} s from a standing start "
          f"(full grip: {line.friction_limit_lap_time:.2f} s flying)" if line.is_loop else
          f"  speed up to {summary['max_speed_m_s']:.2f} m/s: start to finish from rest {line.lap_time:.2f} s", file=out)
    if lap is not None:
        if lap.completed:
            wheels = "all wheels on the road" if lap.all_wheels_on_track else "some wheels left the road"
            print(f"  oracle (pure pursuit on the line in the simulator, standing start): lap {lap.lap_time:.2f} s, "
                  f"{wheels}, within {lap.joined_line_distance:.3f} m of the line once on it", file=out)
        else:
            print(f"  oracle (pure pursuit on the line in the simulator): no lap ({lap.status} after {lap.steps} steps)",
                  file=out)
    print(f"  line written to {cache_path}" + (f" and {copy_path}" if copy_path else ""), file=out)
    if args.plot:
        print(f"  plot written to {args.plot}", file=out)
    low, high = suggestion.steering_range
    print(f"suggested action space ({len(suggestion.actions)} actions; the line steers {low:.1f}° to {high:.1f}° "
          f"at {suggestion.speed_range[0]:.2f}-{suggestion.speed_range[1]:.2f} m/s):", file=out)
    for index, (steering, speed) in enumerate(suggestion.actions):
        print(f"  {index:>2}: steering {steering:>6.1f}°  speed {speed:.2f} m/s", file=out)
    print("  as a training config's vehicle.action_space:", file=out)
    print("  " + json.dumps(suggestion.action_space_json()), file=out)
    if args.config_out:
        print(f"  training config written to {args.config_out}: deepracer train --config {args.config_out} --model NAME",
              file=out)
    else:
        print("  (--config-out FILE writes a training config with it and the speed_racing_line reward)", file=out)
    print(f"  nearest console garage setting: deepracer train {suggestion.garage_flags()}", file=out)
    return 0
