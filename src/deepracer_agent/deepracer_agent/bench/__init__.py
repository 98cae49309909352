"""Benchmarks of the agent: policy latency (`python -m deepracer_agent.bench.latency`) and lap time after minutes of training (`python -m deepracer_agent.bench.speed`)."""
