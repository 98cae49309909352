"""Training hyperparameters: the console's keys and defaults, saved as ip/hyperparameters.json.

Defaults (docs/deepracer-semantics.md#hyperparameter-defaults table; batch, epochs, lr, entropy and episodes agree in
every source):

    batch_size 64, num_epochs 10, lr 0.0003, beta_entropy 0.01, num_episodes_between_training 20
        - the same in the simapp code, DeepRacer-for-Cloud and the DeepRacer-on-AWS console.
    loss_type "huber"
        - what both consoles (the AWS console of the workshops and DeepRacer-on-AWS) preselect;
          the simapp code default ("mean squared error") is never what a console user gets.
    discount_factor 0.999
        - the AWS console's default that the workshop teaches, and the simapp code default.
          DeepRacer-on-AWS and DeepRacer-for-Cloud use 0.99; pass --discount-factor 0.99 for those.
    exploration_type "categorical", e_greedy_value 0.05, epsilon_steps 10000, stack_size 1 (ignored,
    as in the simulator), term_cond_max_episodes 100000, term_cond_avg_score 100000, sac_alpha 0.2
        - the simapp code defaults (no console exposes them).
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from deepracer_common.atomic import write_json_atomic

LOSS_TYPES = {"huber": "huber", "mean squared error": "mean squared error", "mse": "mean squared error"}
EXPLORATION_TYPES = ("categorical", "e-greedy")


class HyperparameterError(ValueError):
    """A hyperparameter has the wrong type or range; the message names the key."""


@dataclass
class Hyperparameters:
    batch_size: int = 64
    beta_entropy: float = 0.01
    discount_factor: float = 0.999
    e_greedy_value: float = 0.05
    epsilon_steps: int = 10000
    exploration_type: str = "categorical"
    loss_type: str = "huber"
    lr: float = 0.0003
    num_episodes_between_training: int = 20
    num_epochs: int = 10
    stack_size: int = 1
    term_cond_avg_score: float = 100000.0
    term_cond_max_episodes: int = 100000
    sac_alpha: float = 0.2

    def __post_init__(self) -> None:
        self.batch_size = _integer(self.batch_size, "batch_size", minimum=1)
        self.num_epochs = _integer(self.num_epochs, "num_epochs", minimum=1)
        self.num_episodes_between_training = _integer(
            self.num_episodes_between_training, "num_episodes_between_training", minimum=1
        )
        self.epsilon_steps = _integer(self.epsilon_steps, "epsilon_steps", minimum=1)
        self.stack_size = _integer(self.stack_size, "stack_size", minimum=1)
        self.term_cond_max_episodes = _integer(self.term_cond_max_episodes, "term_cond_max_episodes", minimum=1)
        self.lr = _number(self.lr, "lr", low=0.0, low_open=True, high=1.0)
        self.beta_entropy = _number(self.beta_entropy, "beta_entropy", low=0.0, high=1.0)
        self.discount_factor = _number(self.discount_factor, "discount_factor", low=0.0, high=1.0)
        self.e_greedy_value = _number(self.e_greedy_value, "e_greedy_value", low=0.0, high=1.0)
        self.term_cond_avg_score = _number(self.term_cond_avg_score, "term_cond_avg_score")
        self.sac_alpha = _number(self.sac_alpha, "sac_alpha", low=0.0)
        if not isinstance(self.loss_type, str) or self.loss_type.strip().lower() not in LOSS_TYPES:
            raise HyperparameterError(
                f"loss_type must be 'huber' or 'mean squared error', got {self.loss_type!r}"
            )
        self.loss_type = LOSS_TYPES[self.loss_type.strip().lower()]
        if self.exploration_type not in EXPLORATION_TYPES:
            raise HyperparameterError(f"exploration_type must be one of {EXPLORATION_TYPES}, got {self.exploration_type!r}")

    @classmethod
    def from_dict(cls, data: Any, where: str = "hyperparameters") -> "Hyperparameters":
        if not isinstance(data, dict):
            raise HyperparameterError(f"{where} must be an object, got {data!r}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise HyperparameterError(f"{where}: unknown key(s) {unknown}; known keys: {sorted(known)}")
        try:
            return cls(**data)
        except HyperparameterError as error:
            raise HyperparameterError(f"{where}: {error}") from None

    def replace(self, **changes: Any) -> "Hyperparameters":
        merged = asdict(self)
        merged.update({key: value for key, value in changes.items() if value is not None})
        return Hyperparameters.from_dict(merged)

    def to_dict(self) -> dict:
        return asdict(self)

    def save(self, path: str | os.PathLike) -> None:
        write_json_atomic(path, self.to_dict())

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Hyperparameters":
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except OSError as error:
            raise HyperparameterError(f"{path}: cannot read ({error.strerror})") from None
        except json.JSONDecodeError as error:
            raise HyperparameterError(f"{path}: not valid JSON at line {error.lineno}: {error.msg}") from None
        return cls.from_dict(data, where=str(path))


def _integer(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (isinstance(value, float) and not value.is_integer()):
        raise HyperparameterError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < minimum:
        raise HyperparameterError(f"{name} must be at least {minimum}, got {value}")
    return value


def _number(value: Any, name: str, low: float | None = None, high: float | None = None, low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise HyperparameterError(f"{name} must be a finite number, got {value!r}")
    value = float(value)
    if low is not None and (value < low or (low_open and value == low)):
        raise HyperparameterError(f"{name} must be {'>' if low_open else '>='} {low:g}, got {value:g}")
    if high is not None and value > high:
        raise HyperparameterError(f"{name} must be <= {high:g}, got {value:g}")
    return value
