"""Gymnasium environments around the simulator: `DeepRacerEnv` (DeepRacer-v0) and `DeepRacerVectorEnv`."""
from deepracer_common.action_space import ActionSpaceError
from deepracer_sim.env.single import DeepRacerEnv
from deepracer_sim.env.config import EnvConfig
from deepracer_sim.env.vector import DeepRacerVectorEnv, make_vector_env

__all__ = ["DeepRacerEnv", "DeepRacerVectorEnv", "EnvConfig", "make_vector_env", "ActionSpaceError"]
