"""`python -m deepracer_sim.gazebo [worlds|check ...]`: same as `deepracer gazebo ...`."""
import sys

from deepracer_sim.gazebo.cli import main

sys.exit(main())
