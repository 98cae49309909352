"""`python -m deepracer_sim.bench`: the simulator benchmark (simulator.py)."""
import sys

from deepracer_sim.bench.simulator import main

sys.exit(main())
