"""A model on disk: the folder layout, checkpoints, metrics, sim-traces and export."""
