"""make setup and the ROS 2 distro of a venv: which one it installs, and that it never mixes two in one venv.

Installing a whole distro takes minutes, so these tests use the venv the suite runs in (made by a real
make setup) and stop setup before it installs anything: a missing C compiler is checked right after the
distro, so a setup that got past the distro check ends on that error and leaves the venv as it was.
"""
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETUP = ROOT / "scripts" / "setup.sh"
VENV = Path(sys.prefix)
# What make setup recorded in the venv this suite runs in.
RECORD = VENV / ".deepracer-stamps" / "ros"
RCLPY_MAJOR_OF = {"jazzy": "7", "kilted": "9"}


@pytest.fixture(scope="module")
def venv_distro() -> str:
    if not RECORD.is_file() or not RECORD.read_text().startswith("wheels "):
        pytest.skip(f"{VENV} was not made by make setup with the ROS 2 wheels")
    return RECORD.read_text().split()[1]


def run_setup(tmp_path, **overrides):
    env = dict(os.environ)
    for name in ("VIRTUAL_ENV", "ROS_DISTRO", "AMENT_PREFIX_PATH", "CMAKE_PREFIX_PATH", "DEEPRACER_ROS_DISTRO",
                 "DEEPRACER_ROS"):
        env.pop(name, None)
    env.update(
        DEEPRACER_VENV=str(VENV),
        DEEPRACER_LOG_DIR=str(tmp_path / "log"),
        DEEPRACER_ROS_ROOT=str(tmp_path / "no-ros"),
        DEEPRACER_SKIP_APT="1",
        # The safety stop: setup checks the compiler right after choosing ROS 2, before it touches the venv.
        CC=str(tmp_path / "missing-cc"),
    )
    env.update(overrides)
    return subprocess.run(["bash", str(SETUP)], env=env, capture_output=True, text=True, timeout=120)


def one_error_line(result) -> str:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("setup: error: ")
    assert "Traceback" not in result.stdout + result.stderr
    return lines[0]


def test_the_venv_holds_the_distro_it_records(venv_distro):
    assert version("ros-rclpy").split(".")[0] == RCLPY_MAJOR_OF[venv_distro]
    import rclpy  # noqa: F401  (the wheels of that distro import)


def test_another_distro_is_refused_for_this_venv_with_what_to_do(tmp_path, venv_distro):
    other = "kilted" if venv_distro == "jazzy" else "jazzy"
    before = RECORD.stat().st_mtime_ns
    line = one_error_line(run_setup(tmp_path, DEEPRACER_ROS_DISTRO=other))
    assert f"holds the ROS 2 {venv_distro.title()} wheels, not the ROS 2 {other.title()} wheels" in line
    assert f"rm -rf {VENV}" in line and f"DEEPRACER_ROS_DISTRO={other}" in line
    assert RECORD.stat().st_mtime_ns == before and RECORD.read_text() == f"wheels {venv_distro}"
    assert version("ros-rclpy").split(".")[0] == RCLPY_MAJOR_OF[venv_distro]


@pytest.mark.parametrize("asked", ["same", "unset"])
def test_the_same_distro_or_none_asked_keeps_the_venv(tmp_path, venv_distro, asked):
    """Rerunning setup without DEEPRACER_ROS_DISTRO keeps what the venv holds, whatever the default is."""
    overrides = {"DEEPRACER_ROS_DISTRO": venv_distro} if asked == "same" else {}
    line = one_error_line(run_setup(tmp_path, **overrides))
    assert "no C compiler" in line, "the distro check let it through, so setup went on to the compiler check"


def test_an_unknown_distro_is_refused(tmp_path):
    line = one_error_line(run_setup(tmp_path, DEEPRACER_VENV=str(tmp_path / "venv"), DEEPRACER_ROS_DISTRO="rolling"))
    assert "DEEPRACER_ROS_DISTRO must be jazzy or kilted" in line and "'rolling'" in line
    assert not (tmp_path / "venv").exists()


def test_a_distro_without_wheels_and_without_a_system_install_is_refused(tmp_path):
    line = one_error_line(run_setup(tmp_path, DEEPRACER_VENV=str(tmp_path / "venv"), DEEPRACER_ROS_DISTRO="humble"))
    assert "no ROS 2 Humble wheels" in line and "DEEPRACER_ROS_DISTRO=jazzy or kilted" in line
    assert not (tmp_path / "venv").exists()
