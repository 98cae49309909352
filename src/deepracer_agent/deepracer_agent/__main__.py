"""`python -m deepracer_agent ...` is the `deepracer` command."""
import sys

from deepracer_agent.cli import main

sys.exit(main())
