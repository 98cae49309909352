"""One race on a track: the reward params, episode rules, obstacles and bot cars, and the reward-function contract."""
