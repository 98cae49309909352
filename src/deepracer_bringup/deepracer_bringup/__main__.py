"""`python -m deepracer_bringup ...` is the `deepracer` command."""
import sys

from deepracer_bringup.cli import main

sys.exit(main())
