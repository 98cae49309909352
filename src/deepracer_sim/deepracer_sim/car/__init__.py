"""The simulated car: parameters (parameters.py) and dynamics (dynamics.py)."""
from deepracer_sim.car.dynamics import Car, clip_command
from deepracer_sim.car.parameters import DEFAULT_CAR, CarParameters

__all__ = ["Car", "CarParameters", "DEFAULT_CAR", "clip_command"]
