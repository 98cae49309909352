"""Object avoidance boxes and head-to-bot cars (docs/deepracer-semantics.md#obstacles-and-bot-cars).

Boxes stand still on a lane; bot cars drive kinematically along a lane at a
set speed, optionally switching lanes now and then. Both are laid out again at
every episode reset. Positions along the track are centre-line arc lengths in
the current driving direction; lane 1 is the inner lane, -1 the outer one.
"""
from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field

import numpy as np

from deepracer_sim.car.parameters import CAR_LENGTH, CAR_SIZE, CAR_WIDTH
from deepracer_sim.tracks import Track, geometry

# Visual size (length along yaw, width, height) of the box obstacle (simapp box SDF 0.4 × 0.3 × 0.25 m).
BOX_SIZE = (0.4, 0.3, 0.25)
# Crash footprint of a box: 0.5 m along its yaw by 0.4 m, a 0.1 m buffer included (BOX_OBSTACLE_DIMENSION).
BOX_FOOTPRINT = (0.5, 0.4)
BOT_CAR_SIZE = CAR_SIZE
BOT_CAR_FOOTPRINT = (CAR_LENGTH, CAR_WIDTH)
KIND_BOX, KIND_BOT_CAR = 0, 1
# An object closer than this (arc length) to the start point moves the agent to the other lane
# (docs/deepracer-semantics.md#round-robin-start).
CLOSEST_OBJECT_GAP = 1.0
# Evaluation reset after hitting a box: this far behind it, in the other lane
# (docs/deepracer-semantics.md#resets-after-a-failure).
RESET_BEHIND_DISTANCE = 1.0
INNER, OUTER = 1, -1


@dataclass
class ObjectsSnapshot:
    """The tracked objects (obstacles first, then bot cars) at one instant."""

    xy: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # (M, 2)
    heading: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (M,) rad
    half_height: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (M,) m, for the camera test
    has_bot_cars: bool = False
    bot_car_speed: float = 0.0
    # Filled by ParamsBuilder.object_geometry(): arc distance, distance from centre, inner half.
    distance: np.ndarray | None = None
    distance_from_center: np.ndarray | None = None
    left_of_center: list | None = None

    def __len__(self) -> int:
        return len(self.xy)



class ObjectConfigError(ValueError):
    """Obstacle or bot-car settings that cannot be laid out."""


@dataclass(frozen=True)
class ObstacleSettings:
    count: int = 0
    positions: tuple[tuple[float, int], ...] | None = None  # (ndist, lane) pairs, the simapp's OBJECT_POSITIONS
    randomize: bool = False
    min_distance: float = 2.0  # m between neighbouring obstacles


@dataclass(frozen=True)
class BotCarSettings:
    count: int = 0
    speed: float = 0.2  # m/s
    min_distance: float = 2.0  # m between neighbouring bot cars
    randomize: bool = False
    lane_change: bool = False
    lower_lane_change_time: float = 3.0  # s
    upper_lane_change_time: float = 5.0  # s
    lane_change_distance: float = 1.0  # m travelled while changing lane
    penalty_seconds: float = 2.0  # a bot that rear-ends the agent stops this long


def parse_positions(positions) -> tuple[tuple[float, int], ...] | None:
    """OBJECT_POSITIONS as (ndist, lane) pairs from "ndist,lane" strings or pairs."""
    if positions is None:
        return None
    parsed = []
    for index, entry in enumerate(positions):
        if isinstance(entry, str):
            parts = entry.split(",")
        else:
            parts = list(entry)
        try:
            if len(parts) != 2:
                raise ValueError
            ndist, lane = float(parts[0]), int(float(parts[1]))
        except (TypeError, ValueError):
            raise ObjectConfigError(
                f"obstacle position {index} must be \"ndist,lane\" (e.g. \"0.25,1\"), got {entry!r}"
            ) from None
        if not (math.isfinite(ndist) and 0.0 <= ndist < 1.0):
            raise ObjectConfigError(f"obstacle position {index}: ndist must be in [0, 1), got {parts[0]!r}")
        if lane not in (INNER, OUTER):
            raise ObjectConfigError(f"obstacle position {index}: lane must be 1 (inner) or -1 (outer), got {parts[1]!r}")
        parsed.append((ndist, lane))
    return tuple(parsed)


def spread_positions(length: float, count: int, min_distance: float, randomize: bool,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Arc positions and lanes: evenly from min_distance to L − 1 m, lanes inner/outer alternating
    (docs/deepracer-semantics.md#obstacles).

    With randomize, each position moves (in random order) uniformly between its
    neighbours kept min_distance apart, and each lane is drawn at random.
    """
    if count <= 0:
        return np.zeros(0), np.zeros(0, dtype=int)
    last = length - 1.0
    if last < min_distance:
        raise ObjectConfigError(
            f"a {length:.2f} m track has no room for objects starting {min_distance} m from the start"
        )
    arcs = np.linspace(min_distance, last, count)
    lanes = np.array([INNER if i % 2 == 0 else OUTER for i in range(count)])
    if randomize:
        for i in rng.permutation(count):
            low = arcs[i - 1] + min_distance if i > 0 else 0.0
            high = arcs[i + 1] - min_distance if i < count - 1 else last
            if high > low:
                arcs[i] = rng.uniform(low, high)
        lanes = rng.choice([INNER, OUTER], size=count)
    return arcs, lanes


class BotLanes:
    """Dense samples of a loop track's two lanes as periodic cubic splines sharing one parameter.

    Row i of the route gives the same parameter on both lanes, so a bot can
    blend from one lane to the other at a fixed parameter while changing lane.
    """

    SAMPLES = 4000

    def __init__(self, track: Track):
        from scipy.interpolate import splev, splprep

        if not track.is_loop:
            raise ObjectConfigError(f"bot cars need a closed track; {track.name} is open")
        keep = np.ones(len(track.centre), dtype=bool)
        keep[1:] = np.any(np.diff(track.centre, axis=0) != 0, axis=1) & np.any(
            np.diff(track.inner_lane, axis=0) != 0, axis=1
        ) & np.any(np.diff(track.outer_lane, axis=0) != 0, axis=1)
        keep[-1] = True
        u = track.ndists[keep]
        self.u = np.linspace(0.0, 1.0, self.SAMPLES + 1)
        self.points = {}
        self.arc = {}
        for lane, line in ((INNER, track.inner_lane), (OUTER, track.outer_lane)):
            line = line[keep]
            tck, _ = splprep([line[:, 0], line[:, 1]], u=u, s=0, per=1, k=3)
            x, y = splev(self.u, tck)
            pts = np.column_stack((x, y))
            self.points[lane] = pts
            self.arc[lane] = geometry.cumulative_length(pts)

    def parameter_at_centre_arc(self, track: Track, arc: float, lane: int) -> float:
        """Spline parameter of the lane point nearest to the centre point at `arc`."""
        centre_point = track.point_at(arc)
        pts = self.points[lane]
        index = int(np.argmin(np.sum((pts - centre_point) ** 2, axis=1)))
        return float(self.u[index])

    def advance(self, u: float, lane: int, distance: float) -> float:
        arc = self.arc[lane]
        s = np.interp(u, self.u, arc) + distance
        return float(np.interp(s % arc[-1], arc, self.u))

    def pose(self, u: float, lane_from: int, lane_to: int, blend: float) -> tuple[float, float, float]:
        def point(v):
            a = self.points[lane_from]
            b = self.points[lane_to]
            pa = np.array([np.interp(v, self.u, a[:, 0]), np.interp(v, self.u, a[:, 1])])
            if blend <= 0.0:
                return pa
            pb = np.array([np.interp(v, self.u, b[:, 0]), np.interp(v, self.u, b[:, 1])])
            return pa + (pb - pa) * blend

        here = point(u)
        delta = 1.0 / self.SAMPLES
        ahead = point((u + delta) % 1.0)
        behind = point((u - delta) % 1.0)
        return float(here[0]), float(here[1]), math.atan2(ahead[1] - behind[1], ahead[0] - behind[0])


_LANES: "weakref.WeakKeyDictionary[Track, BotLanes]" = weakref.WeakKeyDictionary()


def bot_lanes(track: Track) -> BotLanes:
    lanes = _LANES.get(track)
    if lanes is None:
        lanes = BotLanes(track)
        _LANES[track] = lanes
    return lanes


class BotCar:
    def __init__(self, u: float, lane: int, settings: BotCarSettings, rng: np.random.Generator):
        self.u = u
        self.lane = lane
        self.target_lane = lane
        self.change_progress = 0.0  # 0..1 while changing lane
        self.pause_remaining = 0.0
        self.settings = settings
        self._rng = rng
        self.next_change_in = self._draw_change_time()

    def _draw_change_time(self) -> float:
        s = self.settings
        return float(self._rng.uniform(s.lower_lane_change_time, s.upper_lane_change_time))

    def advance(self, lanes: BotLanes, dt: float) -> None:
        s = self.settings
        moving = dt
        if self.pause_remaining > 0.0:
            moving = max(0.0, dt - self.pause_remaining)
            self.pause_remaining = max(0.0, self.pause_remaining - dt)
        if moving <= 0.0:
            return
        self.u = lanes.advance(self.u, self.lane, s.speed * moving)
        if not s.lane_change:
            return
        if self.target_lane != self.lane:
            duration = s.lane_change_distance / s.speed
            self.change_progress += moving / duration
            if self.change_progress >= 1.0:
                self.lane = self.target_lane
                self.change_progress = 0.0
                self.next_change_in = self._draw_change_time()
        else:
            self.next_change_in -= moving
            if self.next_change_in <= 0.0:
                self.target_lane = -self.lane

    def pose(self, lanes: BotLanes) -> tuple[float, float, float]:
        blend = self.change_progress
        blend = blend * blend * (3.0 - 2.0 * blend)  # smooth start and end of the lane change
        return lanes.pose(self.u, self.lane, self.target_lane, blend if self.target_lane != self.lane else 0.0)

    @property
    def current_lane(self) -> int:
        """The lane the bot is nearer to (its target once past half of a lane change)."""
        return self.target_lane if self.change_progress >= 0.5 else self.lane


class ObjectManager:
    """Lays out and moves the objects of one environment."""

    def __init__(self, obstacles: ObstacleSettings, bot_cars: BotCarSettings):
        self.obstacle_settings = obstacles
        self.bot_settings = bot_cars
        self.track: Track | None = None
        self.obstacles: list[dict] = []  # {"arc", "lane", "pose": (x, y, yaw)}
        self.bots: list[BotCar] = []
        self._lanes: BotLanes | None = None
        self._array = np.zeros((0, 7))
        self._snapshot: ObjectsSnapshot | None = None

    @property
    def count(self) -> int:
        return len(self.obstacles) + len(self.bots)

    @property
    def has_bot_cars(self) -> bool:
        return bool(self.bots)

    def reset(self, track: Track, rng: np.random.Generator) -> None:
        self.track = track
        o = self.obstacle_settings
        if o.positions is not None:
            arcs = np.array([nd * track.length for nd, _ in o.positions])
            lanes = np.array([lane for _, lane in o.positions], dtype=int)
        else:
            arcs, lanes = spread_positions(track.length, o.count, o.min_distance, o.randomize, rng)
        self.obstacles = [
            {"arc": float(a), "lane": int(lane), "pose": track.lane_point(float(a), int(lane))}
            for a, lane in zip(arcs, lanes)
        ]
        b = self.bot_settings
        self.bots = []
        if b.count:
            self._lanes = bot_lanes(track)
            arcs, lanes = spread_positions(track.length, b.count, b.min_distance, b.randomize, rng)
            for a, lane in zip(arcs, lanes):
                u = self._lanes.parameter_at_centre_arc(track, float(a), int(lane))
                self.bots.append(BotCar(u, int(lane), b, rng))
        self._refresh()

    def advance(self, dt: float) -> None:
        if not self.bots:
            return
        for bot in self.bots:
            bot.advance(self._lanes, dt)
        self._refresh()

    def _refresh(self) -> None:
        rows = [
            (*o["pose"], *BOX_SIZE, KIND_BOX) for o in self.obstacles
        ] + [(*bot.pose(self._lanes), *BOT_CAR_SIZE, KIND_BOT_CAR) for bot in self.bots]
        self._array = np.array(rows, dtype=np.float64).reshape(-1, 7)
        self._snapshot = None

    @property
    def array(self) -> np.ndarray:
        """(M, 7) x, y, yaw, length, width, height, kind (0 box, 1 bot car), the sensors' object format."""
        return self._array

    def snapshot(self) -> ObjectsSnapshot | None:
        if not self.count:
            return None
        if self._snapshot is None:
            a = self._array
            self._snapshot = ObjectsSnapshot(
                xy=np.ascontiguousarray(a[:, :2]),
                heading=a[:, 2].copy(),
                half_height=a[:, 5] / 2.0,
                has_bot_cars=self.has_bot_cars,
                bot_car_speed=self.bot_settings.speed,
            )
        return self._snapshot

    def lanes(self) -> list[int]:
        return [o["lane"] for o in self.obstacles] + [bot.current_lane for bot in self.bots]

    def collision(self, x: float, y: float, yaw: float) -> int:
        """Index of the first object the agent's footprint corners are inside, or -1."""
        if not self.count:
            return -1
        corners = geometry.rectangle_corners(x, y, yaw, CAR_LENGTH, CAR_WIDTH)
        a = self._array
        for i in range(len(a)):
            length, width = BOX_FOOTPRINT if a[i, 6] == KIND_BOX else BOT_CAR_FOOTPRINT
            if geometry.any_corner_inside(corners, a[i, 0], a[i, 1], a[i, 2], length, width):
                return i
        return -1

    def is_bot(self, index: int) -> bool:
        return index >= len(self.obstacles)

    def bot(self, index: int) -> BotCar:
        return self.bots[index - len(self.obstacles)]

    def obstacle(self, index: int) -> dict:
        return self.obstacles[index]

    def nearby_lane(self, arc: float, gap: float = CLOSEST_OBJECT_GAP) -> int | None:
        """The lane of the nearest object within `gap` m of arc length of `arc`, or None."""
        snapshot = self.snapshot()
        if snapshot is None or self.track is None:
            return None
        length = self.track.length
        distances, _, _ = geometry.project_points(snapshot.xy, self.track.centre, self.track.centre_cum)
        gaps = np.abs((distances - arc + length / 2.0) % length - length / 2.0) if self.track.is_loop \
            else np.abs(distances - arc)
        nearest = int(np.argmin(gaps))
        if gaps[nearest] > gap:
            return None
        return self.lanes()[nearest]

