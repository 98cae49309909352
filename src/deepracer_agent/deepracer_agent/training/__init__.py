"""`deepracer train`: the configuration, the hyperparameters and the trainer."""
