"""The training configuration: a JSON (or YAML) file, overridden by `deepracer train` flags.

    {
      "model": "my-first-model",
      "track": "reinvent_base",
      "reverse": false,                     # drive against the route's point order
      "alternate_direction": false,         # toggle direction after every training episode
      "race_type": "TIME_TRIAL",
      "vehicle": {... see deepracer_agent.garage ...},
      "reward_function": "template:centerline",   # or a path to a .py file
      "hyperparameters": {"batch_size": 64, ...},  # console keys; missing keys keep the console defaults
      "stop": {"max_minutes": 60, "max_episodes": null, "max_iterations": null, "eval_complete_laps": null},
      "training": {"num_envs": 4, "eval_episodes": 5, "best_model_metric": "progress", ...}
    }

Paths inside a config file are relative to the file.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from deepracer_agent.garage import Vehicle
from deepracer_agent.model.metrics import BEST_MODEL_METRICS
from deepracer_agent.training.hyperparameters import Hyperparameters
from deepracer_common.race import DEFAULT_TRACK, RACE_TYPES, WORKSHOP_ACTION_SPACE

# Training configurations shipped with the package (`--config demo`).
CONFIGS_DIR = Path(__file__).resolve().parents[1] / "configs"
# Keys training_config.json records besides the configuration itself.
SAVED_ONLY_KEYS = ("reward_function_source", "cloned_from")
# Keys earlier releases wrote that no longer mean anything; configurations and model folders that
# carry them still load. training.vector_env chose how the simulators ran, which is now always in
# this process.
RETIRED_KEYS = {"training": ("vector_env",)}


class ConfigError(ValueError):
    """A training configuration value is wrong; the message names the key (and file)."""


@dataclass
class StopConditions:
    # Wall-clock training time; a resumed run counts the time before. 60 min is the console's default.
    max_minutes: float | None = 60.0
    max_episodes: int | None = None  # training episodes; None = hyperparameters.term_cond_max_episodes
    max_iterations: int | None = None
    # Stop once an iteration's evaluation completes this many laps (e.g. 3 of 3 evaluation episodes).
    eval_complete_laps: int | None = None

    def __post_init__(self) -> None:
        for name in ("max_minutes",):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
                raise ConfigError(f"stop.{name} must be a positive number of minutes, got {value!r}")
        for name in ("max_episodes", "max_iterations", "eval_complete_laps"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
                raise ConfigError(f"stop.{name} must be a positive integer, got {value!r}")


@dataclass
class TrainingSettings:
    num_envs: int = 4  # simulators stepped side by side
    eval_episodes: int = 5  # evaluation episodes after every iteration (the simulator's MIN_EVAL_TRIALS)
    best_model_metric: str = "progress"
    seed: int = 0
    torch_threads: int | None = None  # None: every core (the simulators are light; the network is the work)
    max_steps_per_iteration: int | None = None  # None: 10000 for the 3-layer CNN, 3000 otherwise (simulator)
    keep_checkpoints: int = 4  # newest kept besides the best (the console keeps 4)
    round_robin_advance: float = 0.05
    reward_time_limit_s: float = 5.0  # the console validator's limit, per call
    env_options: dict = field(default_factory=dict)  # passed to DeepRacerEnv as they are

    def __post_init__(self) -> None:
        def positive_int(name: str, allow_zero: bool = False) -> None:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < (0 if allow_zero else 1):
                raise ConfigError(f"training.{name} must be a {'non-negative' if allow_zero else 'positive'} integer, got {value!r}")

        positive_int("num_envs")
        positive_int("eval_episodes", allow_zero=True)
        positive_int("keep_checkpoints", allow_zero=True)
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise ConfigError(f"training.seed must be an integer, got {self.seed!r}")
        if self.torch_threads is not None:
            positive_int("torch_threads")
        if self.max_steps_per_iteration is not None:
            positive_int("max_steps_per_iteration")
        if self.best_model_metric not in BEST_MODEL_METRICS:
            raise ConfigError(f"training.best_model_metric must be one of {BEST_MODEL_METRICS}, got {self.best_model_metric!r}")
        if not isinstance(self.round_robin_advance, (int, float)) or not 0.0 <= self.round_robin_advance < 1.0:
            raise ConfigError(f"training.round_robin_advance must be in [0, 1), got {self.round_robin_advance!r}")
        if not isinstance(self.reward_time_limit_s, (int, float)) or self.reward_time_limit_s <= 0:
            raise ConfigError(f"training.reward_time_limit_s must be positive, got {self.reward_time_limit_s!r}")
        if not isinstance(self.env_options, dict):
            raise ConfigError(f"training.env_options must be an object, got {self.env_options!r}")


@dataclass
class TrainingConfig:
    model: str = "my-model"
    track: str | None = None  # None: the simulator's re:Invent 2018-sized loop
    reverse: bool = False
    alternate_direction: bool = False
    race_type: str = "TIME_TRIAL"
    vehicle: Vehicle = field(default_factory=lambda: Vehicle.from_dict({"action_space": WORKSHOP_ACTION_SPACE}))
    reward_function: str = "template:centerline"
    hyperparameters: Hyperparameters = field(default_factory=Hyperparameters)
    stop: StopConditions = field(default_factory=StopConditions)
    training: TrainingSettings = field(default_factory=TrainingSettings)

    def __post_init__(self) -> None:
        if self.race_type not in RACE_TYPES:
            raise ConfigError(f"race_type must be one of {RACE_TYPES}, got {self.race_type!r}")
        for name in ("reverse", "alternate_direction"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be true or false, got {getattr(self, name)!r}")
        if self.track is not None and not isinstance(self.track, str):
            raise ConfigError(f"track must be a track name, got {self.track!r}")
        if not isinstance(self.reward_function, str) or not self.reward_function:
            raise ConfigError(f"reward_function must be a file path or template:<name>, got {self.reward_function!r}")

    @classmethod
    def from_dict(cls, data: Any, base_dir: Path | None = None, where: str = "config") -> "TrainingConfig":
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: expected an object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {unknown}; known keys: {sorted(known)}")
        values = dict(data)
        try:
            if "vehicle" in values:
                values["vehicle"] = Vehicle.from_dict(values["vehicle"])
            if "hyperparameters" in values:
                values["hyperparameters"] = Hyperparameters.from_dict(values["hyperparameters"])
            if "stop" in values:
                values["stop"] = _sub(StopConditions, values["stop"], "stop")
            if "training" in values:
                values["training"] = _sub(TrainingSettings, _without_retired(values["training"], "training"), "training")
            reward = values.get("reward_function")
            if isinstance(reward, str) and not reward.startswith("template:") and base_dir is not None:
                values["reward_function"] = str((base_dir / reward).resolve()) if not Path(reward).is_absolute() else reward
            return cls(**values)
        except ValueError as error:
            raise ConfigError(f"{where}: {error}") from None

    @classmethod
    def load(cls, path: str | os.PathLike) -> "TrainingConfig":
        path = Path(path)
        try:
            text = path.read_text()
        except OSError as error:
            raise ConfigError(f"{path}: cannot read the config ({error.strerror})") from None
        if path.suffix in (".yaml", ".yml"):
            import yaml

            try:
                data = yaml.safe_load(text)
            except yaml.YAMLError as error:
                raise ConfigError(f"{path}: not valid YAML ({error})") from None
        else:
            try:
                data = json.loads(text)
            except json.JSONDecodeError as error:
                raise ConfigError(f"{path}: not valid JSON at line {error.lineno}: {error.msg}") from None
        return cls.from_dict(data, base_dir=path.parent, where=str(path))

    @classmethod
    def from_model_folder(cls, folder) -> "TrainingConfig":
        """The configuration a model was trained with (training_config.json), reading its own reward copy."""
        data = folder.training_config()
        if not data:
            raise ConfigError(f"{folder.training_config_path} is missing: {folder.name!r} was not trained here")
        data = {key: value for key, value in data.items() if key not in SAVED_ONLY_KEYS}
        data["reward_function"] = str(folder.reward_function_path)
        return cls.from_dict(data, where=str(folder.training_config_path))

    def env_kwargs(self, reward_function, *, evaluation: bool, seed: int, **extra) -> dict:
        """Keyword arguments for the simulator (deepracer_sim.env.DeepRacerEnv) this configuration trains in."""
        metadata = self.vehicle.metadata()
        kwargs = dict(
            track=self.track or DEFAULT_TRACK,
            reverse=self.reverse,
            alternate_direction=self.alternate_direction and not evaluation,
            sensors=list(metadata.sensor),
            lidar_config=metadata.lidar_config,
            action_space=metadata.action_space,
            race_type=self.race_type,
            reward_function=reward_function,
            evaluation=evaluation,
            round_robin_advance=self.training.round_robin_advance,
            reward_time_limit_s=self.training.reward_time_limit_s,
            seed=seed,
        )
        kwargs.update(self.training.env_options)
        kwargs.update(extra)
        return kwargs

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "track": self.track,
            "reverse": self.reverse,
            "alternate_direction": self.alternate_direction,
            "race_type": self.race_type,
            "vehicle": self.vehicle.to_dict(),
            "reward_function": self.reward_function,
            "hyperparameters": self.hyperparameters.to_dict(),
            "stop": asdict(self.stop),
            "training": asdict(self.training),
        }


def _without_retired(data: Any, section: str) -> Any:
    if not isinstance(data, dict):
        return data
    return {key: value for key, value in data.items() if key not in RETIRED_KEYS.get(section, ())}


def _sub(kind, data: Any, where: str):
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be an object, got {data!r}")
    known = {f.name for f in fields(kind)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; known keys: {sorted(known)}")
    return kind(**data)


def packaged_config(name: str) -> Path:
    """A config shipped in deepracer_agent/configs (e.g. 'demo')."""
    path = CONFIGS_DIR / (name if name.endswith((".json", ".yaml")) else f"{name}.json")
    if not path.is_file():
        available = sorted(p.stem for p in CONFIGS_DIR.glob("*.json"))
        raise ConfigError(f"no packaged config {name!r}; available: {available}")
    return path
