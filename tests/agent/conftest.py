"""Make the packages importable from a source checkout (the Makefile sets PYTHONPATH; this covers bare pytest)."""
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
for package in ("deepracer_control", "deepracer_sim", "deepracer_agent"):
    source = str(REPO / "src" / package)
    if source not in sys.path:
        sys.path.insert(0, source)
