"""Embedded AWS DeepRacer simulator: tracks, car dynamics, sensors, reward params, episodes, Gymnasium env.

Importing the package only registers the Gymnasium id `DeepRacer-v0`; the
simulator modules (numba, shapely, scipy) load when first used:

    import gymnasium as gym
    import deepracer_sim
    env = gym.make("DeepRacer-v0", track="crescent_loop")
    envs = gym.make_vec("DeepRacer-v0", num_envs=8, track="crescent_loop")
"""
from gymnasium.envs.registration import register, registry

ENV_ID = "DeepRacer-v0"

if ENV_ID not in registry:
    register(
        id=ENV_ID,
        entry_point="deepracer_sim.env:DeepRacerEnv",
        # gym.make_vec(ENV_ID, num_envs=N) then batches the cameras of all N cars in one process.
        vector_entry_point="deepracer_sim.env:DeepRacerVectorEnv",
        max_episode_steps=None,
    )

__all__ = ["ENV_ID"]
