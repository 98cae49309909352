"""Speed benchmarks of the simulator (`python -m deepracer_sim.bench`, `python -m deepracer_sim.bench.sensors`)."""
