"""The learning algorithm: the DeepRacer networks and clipped PPO."""
