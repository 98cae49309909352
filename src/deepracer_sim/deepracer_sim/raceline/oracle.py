"""The oracle: a pure-pursuit controller that drives the racing line at its speed profile in RaceSimulation.

It is the yardstick for trained models: the lap time a controller that knows the track gets from the
same simulated car, under the same rules (15 Hz commands, the actuator clip, the standing start and
the lap-complete rule of an episode).

Pure pursuit steers the rear axle onto a point of the line a speed-dependent distance ahead,
along the circle through both: steering = atan(2·L·sin(α) / d), with L the wheelbase, d the distance
to the point and α its bearing from the car's heading. The speed command is the profile's speed a
little ahead of the car, since the wheel-speed controller lags and a command holds for a whole step.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from deepracer_sim.car.parameters import DEFAULT_CAR, MAX_STEERING_DEG, REAR_AXLE_X, WHEELBASE, CarParameters
from deepracer_sim.raceline.line import RacingLine, compute_racing_line

# Seconds of simulated time after which a lap attempt is given up.
GIVE_UP_AFTER_S = 60.0
# The command holds for the step that follows, so the controller steers from where the car will be
# three quarters of a step on (from its velocity and yaw rate). Without this the 15 Hz loop lags the
# car and overcorrects at speed; three quarters did best over the seven loops both ways (a half or a
# whole step each lost a few laps at some margins).
PREDICTION_STEPS = 0.75
# Far from the line (the start, where the car sits on the centre line) the lookahead grows to this many
# times the distance, so the car joins the line at a shallow angle instead of swinging onto it.
JOIN_LOOKAHEAD_FACTOR = 3.0
# The car starts on the centre line; it has joined the racing line once within this distance (m) of it.
JOINED = 0.02


@dataclass(frozen=True)
class PurePursuit:
    """Steering and speed commands that follow a racing line.

    The defaults were chosen on the seven loops (shipped and AWS) in both directions: with them all 14
    laps complete with all wheels on the road for margins from 0.03 to 0.08 m and a speed profile at up
    to 85 % of the grip, the car keeping within about 4 cm of the line once it has joined it.
    """

    line: RacingLine
    lookahead_base: float = 0.25  # m, lookahead distance at standstill
    lookahead_time: float = 0.10  # s, plus this much travel at the current speed
    car: CarParameters = DEFAULT_CAR
    dt: float = 1.0 / 15.0  # s a command holds

    def command(self, state) -> tuple[float, float]:
        """(steering deg + left, speed m/s) for a car state (x, y, yaw, vx, vy, yaw rate, ...): base_link
        position and yaw in the world, velocities in the car's frame."""
        x, y, yaw, vx, vy, yaw_rate = (float(v) for v in state[:6])
        ahead = PREDICTION_STEPS * self.dt
        x += ahead * (vx * math.cos(yaw) - vy * math.sin(yaw))
        y += ahead * (vx * math.sin(yaw) + vy * math.cos(yaw))
        yaw += ahead * yaw_rate
        rear_x = x + REAR_AXLE_X * math.cos(yaw)
        rear_y = y + REAR_AXLE_X * math.sin(yaw)
        arc, off_line = self.line.locate(rear_x, rear_y)
        lookahead = max(self.lookahead_base + self.lookahead_time * vx, JOIN_LOOKAHEAD_FACTOR * off_line)
        goal_x, goal_y = self.line.point_at(arc + lookahead)
        dx, dy = goal_x - rear_x, goal_y - rear_y
        distance = max(math.hypot(dx, dy), 1e-6)
        bearing = math.atan2(dy, dx) - yaw
        steering = math.degrees(math.atan2(2.0 * WHEELBASE * math.sin(bearing), distance))
        steering = max(-MAX_STEERING_DEG, min(MAX_STEERING_DEG, steering))
        if not self.line.is_loop:
            # At an open track's start the rear axle is behind the line's first point, where its projection
            # stops; base_link is on it.
            arc -= REAR_AXLE_X
        return steering, self.speed_command(arc, vx)

    def speed_command(self, arc: float, speed: float) -> float:
        """The command that gives the profile's acceleration over the next step.

        The car's wheel-speed controller accelerates at (command − speed)/τ, so the command sets the
        acceleration; asking for more than the profile does takes grip the cornering force needs (under
        full drive in a corner the rear axle lets go). The acceleration is the one that reaches the
        profile speed where the car will be after one step, within what the friction circle leaves
        beside the line's cornering force there.
        """
        limits = self.line.limits
        travel = max(speed, 0.3) * self.dt
        target = self.line.speed_at(arc + travel)
        wanted = (target * target - speed * speed) / (2.0 * travel)
        lateral = speed * speed * abs(self.line.curvature_at(arc))
        spare = math.sqrt(max(limits.lateral_acceleration**2 - lateral**2, 0.0))
        wanted = max(-min(limits.braking, spare), min(wanted, limits.acceleration, spare))
        # A first-order lag held for one step moves the speed by (command − speed)(1 − e^(−dt/τ)).
        gain = self.dt / (1.0 - math.exp(-self.dt / self.car.speed_time_constant))
        return max(speed + wanted * gain, limits.min_speed)


@dataclass
class OracleLap:
    track: str
    completed: bool  # the episode ended with a complete lap
    lap_time: float | None  # s, the simulator's lap time (from the episode start, at rest)
    status: str  # the last step's episode status
    all_wheels_on_track: bool  # no wheel ever left the road
    steps: int
    estimated_lap_time: float  # s, the racing line's standing-start estimate
    max_line_distance: float  # m, the largest distance of base_link from the line
    joined_line_distance: float  # m, the largest after it first came within JOINED of the line
    path: np.ndarray = field(repr=False)  # (steps, 2) base_link positions
    speeds: np.ndarray = field(repr=False)  # (steps,) m/s, the car's speed
    commands: np.ndarray = field(repr=False)  # (steps, 2) steering deg, speed m/s


def drive_oracle_lap(track, line: RacingLine | None = None, controller: PurePursuit | None = None,
                     start_ndist: float = 0.0) -> OracleLap:
    """Drive one lap of a Track (in its direction) with pure pursuit on its racing line.

    The lap starts like every episode: at rest on the centre line at `start_ndist`, one `prepare` step,
    then a command every 1/15 s until the lap completes or the car goes off the road.
    """
    from deepracer_common.race import LAP_COMPLETE
    from deepracer_sim.race.simulation import EpisodeSettings, RaceSimulation

    line = line if line is not None else compute_racing_line(track)
    if line.fingerprint != _fingerprint(track):
        raise ValueError(f"the racing line is for another track (or direction) than {track.name}")
    controller = controller if controller is not None else PurePursuit(line)
    settings = EpisodeSettings(reverse=track.is_reversed, evaluation=True, start_ndist=start_ndist)
    simulation = RaceSimulation(track, settings)
    simulation.reset()
    limit = int(GIVE_UP_AFTER_S / settings.dt)
    path, speeds, commands = [], [], []
    on_track = True
    distances = []
    outcome = None
    while not simulation.done and len(path) < limit:
        x, y, yaw = simulation.pose
        speed = simulation.car.speed
        steering, target = controller.command(simulation.car.state)
        outcome = simulation.step(steering, target)
        on_track = on_track and bool(outcome.params["all_wheels_on_track"])
        path.append((x, y))
        speeds.append(speed)
        commands.append((steering, target))
        distances.append(line.locate(x, y)[1])
    near = np.flatnonzero(np.array(distances) < JOINED)
    completed = outcome is not None and outcome.status == LAP_COMPLETE
    return OracleLap(
        track=track.name,
        completed=completed,
        lap_time=float(simulation.lap_times[0]) if completed else None,
        status=outcome.status if outcome is not None else "none",
        all_wheels_on_track=on_track,
        steps=len(path),
        estimated_lap_time=line.standing_lap_time,
        max_line_distance=max(distances, default=0.0),
        joined_line_distance=max(distances[near[0]:]) if len(near) else math.inf,
        path=np.array(path),
        speeds=np.array(speeds),
        commands=np.array(commands),
    )


def _fingerprint(track) -> str:
    from deepracer_sim.raceline.line import centre_fingerprint

    return centre_fingerprint(track.centre)
