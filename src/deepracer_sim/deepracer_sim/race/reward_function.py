"""The reward-function contract (docs/deepracer-semantics.md#reward-function-contract).

A reward function is a Python file defining `reward_function(params) -> float`.
The simulator calls it with a copy of params on every RUN step and stops the
job when it raises, returns something that is not a finite number within
±1e5, or takes too long; `RewardFunctionError` says which step and which
params did it, so the user can reproduce the call.
"""
from __future__ import annotations

import _signal  # signal.signal's enum wrapping costs ~10 µs a call; this is the same function without it
import importlib.util
import math
import os
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable

RewardFunction = Callable[[dict], float]

MAX_ABS_REWARD = 1e5
# The console's reward-function validator allows 5 s (docs/deepracer-semantics.md#reward-function-contract).
DEFAULT_TIME_LIMIT_S = 5.0
FUNCTION_NAME = "reward_function"


class RewardFunctionError(Exception):
    """The user's reward function failed; the message names the step and the params it was given."""


class _RewardTimeout(BaseException):
    # A BaseException so a bare `except Exception` in the user's function cannot swallow it.
    pass


def load_reward_function(path: str | os.PathLike) -> RewardFunction:
    """Import a user's reward file and return its `reward_function`."""
    path = Path(path)
    if not path.is_file():
        raise RewardFunctionError(f"{path}: no such reward function file")
    module_name = f"deepracer_user_reward_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise RewardFunctionError(f"{path}: cannot be imported as a Python module (use a .py file)")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        raise RewardFunctionError(
            f"{path}:{error.lineno}: syntax error: {error.msg}"
            + (f"\n    {error.text.rstrip()}" if error.text else "")
        ) from None
    except Exception as error:  # an import-time failure in user code
        raise RewardFunctionError(f"{path}: importing it failed: {type(error).__name__}: {error}") from error
    function = getattr(module, FUNCTION_NAME, None)
    if function is None:
        raise RewardFunctionError(f"{path}: defines no function named {FUNCTION_NAME}(params)")
    if not callable(function):
        raise RewardFunctionError(f"{path}: {FUNCTION_NAME} is not a function ({type(function).__name__})")
    return function


def centre_line_reward(params: dict) -> float:
    """Default reward: the DeepRacer "follow the centre line" example.

    Three bands around the centre line, at 10 %, 25 % and 50 % of the track
    width, pay 1.0, 0.5 and 0.1; anything further out (likely off track) 0.001.
    """
    width = params["track_width"]
    distance = params["distance_from_center"]
    if distance <= 0.1 * width:
        return 1.0
    if distance <= 0.25 * width:
        return 0.5
    if distance <= 0.5 * width:
        return 0.1
    return 1e-3


def _describe(params: dict) -> str:
    shown = {k: v for k, v in params.items() if k != "waypoints"}
    if "waypoints" in params:
        shown["waypoints"] = f"<{len(params['waypoints'])} points>"
    return ", ".join(f"{k}={v!r}" for k, v in shown.items())


def _expired(signum, frame):
    raise _RewardTimeout()


class RewardTimer:
    """Enforces the reward time limit for one call or a batch of calls (`with RewardTimer(5.0) as t:`).

    On the main thread a SIGALRM interval timer interrupts a function that runs
    past the limit; the handler is installed once per batch and the timer armed
    around each call. Elsewhere (or when another alarm, e.g. pytest-timeout's,
    would fire before ours) the elapsed time is checked after each call, and
    the other alarm is left alone or re-armed with its remaining time.
    """

    def __init__(self, time_limit_s: float | None = DEFAULT_TIME_LIMIT_S):
        self.time_limit_s = time_limit_s
        self._alarm = False
        self._outer_remaining = 0.0
        self._previous = None
        self._entered = 0.0

    def __enter__(self) -> "RewardTimer":
        limit = self.time_limit_s
        self._alarm = (
            limit is not None
            and hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
        )
        if self._alarm:
            self._outer_remaining = signal.getitimer(signal.ITIMER_REAL)[0]
            self._alarm = self._outer_remaining == 0.0 or self._outer_remaining > limit
        if self._alarm:
            self._entered = time.perf_counter()
            self._previous = _signal.signal(signal.SIGALRM, _expired)
            if self._outer_remaining:
                signal.setitimer(signal.ITIMER_REAL, 0.0)
        return self

    def __exit__(self, *exc_info) -> None:
        if self._alarm:
            signal.setitimer(signal.ITIMER_REAL, 0.0)
            _signal.signal(signal.SIGALRM, signal.SIG_DFL if self._previous is None else self._previous)
            if self._outer_remaining:
                elapsed = time.perf_counter() - self._entered
                signal.setitimer(signal.ITIMER_REAL, max(self._outer_remaining - elapsed, 1e-6))
            self._alarm = False

    def call(self, function: RewardFunction, params: dict, step: Any) -> float:
        """Call a reward function under the simulator's rules and return its reward as a float."""
        limit = self.time_limit_s
        alarm = self._alarm
        started = time.perf_counter()
        try:
            if alarm:
                signal.setitimer(signal.ITIMER_REAL, limit)
            try:
                value = function(params)
            finally:
                if alarm:
                    signal.setitimer(signal.ITIMER_REAL, 0.0)
        except _RewardTimeout:
            raise RewardFunctionError(
                f"reward function ran longer than {limit:g} s at step {step}; params: {_describe(params)}"
            ) from None
        except Exception as error:
            raise RewardFunctionError(
                f"reward function raised {type(error).__name__}: {error} at step {step}; "
                f"params: {_describe(params)}"
            ) from error
        if limit is not None:
            elapsed = time.perf_counter() - started
            if elapsed > limit:
                raise RewardFunctionError(
                    f"reward function ran {elapsed:.2f} s (limit {limit:g} s) at step {step}; "
                    f"params: {_describe(params)}"
                )
        return _checked(value, step, params)


def call_reward(function: RewardFunction, params: dict, step: Any, time_limit_s: float | None = DEFAULT_TIME_LIMIT_S,
                ) -> float:
    """Call a reward function under the simulator's rules and return its reward as a float.

    `params` is passed as given (the caller hands over a copy). The function
    must return a finite number within ±1e5 and finish within `time_limit_s`
    (see RewardTimer); anything else raises RewardFunctionError naming the step
    and the params.
    """
    with RewardTimer(time_limit_s) as timer:
        return timer.call(function, params, step)


def _checked(value: Any, step: Any, params: dict) -> float:
    if isinstance(value, bool) or value is None:
        raise RewardFunctionError(
            f"reward function returned {value!r}, not a number, at step {step}; params: {_describe(params)}"
        )
    try:
        reward = float(value)
    except (TypeError, ValueError):
        raise RewardFunctionError(
            f"reward function returned {value!r} ({type(value).__name__}), not a number, at step {step}; "
            f"params: {_describe(params)}"
        ) from None
    if not math.isfinite(reward):
        raise RewardFunctionError(
            f"reward function returned {reward} at step {step}; params: {_describe(params)}"
        )
    if abs(reward) > MAX_ABS_REWARD:
        raise RewardFunctionError(
            f"reward function returned {reward:g}, outside ±{MAX_ABS_REWARD:g}, at step {step}; "
            f"params: {_describe(params)}"
        )
    return reward
