"""make setup on a broken machine stops with one clear line, not a traceback."""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETUP = ROOT / "scripts" / "setup.sh"


def run_setup(tmp_path, **overrides):
    env = dict(os.environ)
    for name in ("VIRTUAL_ENV", "ROS_DISTRO", "AMENT_PREFIX_PATH", "CMAKE_PREFIX_PATH"):
        env.pop(name, None)
    env.update(
        DEEPRACER_VENV=str(tmp_path / "venv"),
        DEEPRACER_LOG_DIR=str(tmp_path / "log"),
        DEEPRACER_ROS_ROOT=str(tmp_path / "no-ros"),
        DEEPRACER_SKIP_APT="1",
    )
    env.update(overrides)
    return subprocess.run(["bash", str(SETUP)], env=env, capture_output=True, text=True, timeout=300)


def assert_one_line_error(result, *fragments):
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("setup: error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in result.stdout + result.stderr


def test_no_package_registry(tmp_path):
    result = run_setup(
        tmp_path,
        PIP_CONFIG_FILE=os.devnull,
        PIP_INDEX_URL="http://127.0.0.1:9/simple",
        PIP_EXTRA_INDEX_URL="",
        PIP_FIND_LINKS="",
        PIP_NO_INDEX="",
        PIP_RETRIES="0",
        PIP_TIMEOUT="3",
        PIP_DEFAULT_TIMEOUT="3",
    )
    assert_one_line_error(result, "cannot download Python packages", "registry")
    assert (tmp_path / "log" / "pip.log").exists(), "the full pip output must be kept for the user"


def test_no_c_compiler(tmp_path):
    result = run_setup(tmp_path, CC=str(tmp_path / "missing-cc"))
    assert_one_line_error(result, "no C compiler", "build-essential")
    assert not (tmp_path / "venv").exists(), "nothing is installed before the checks pass"


def test_unsupported_ros_distro(tmp_path):
    foxy = tmp_path / "opt-ros" / "foxy"
    foxy.mkdir(parents=True)
    (foxy / "setup.bash").write_text("export ROS_DISTRO=foxy\n")
    result = run_setup(tmp_path, DEEPRACER_ROS_ROOT=str(tmp_path / "opt-ros"))
    assert_one_line_error(result, "'foxy'", "not supported", "DEEPRACER_ROS=wheels")


def test_unknown_ros_mode(tmp_path):
    result = run_setup(tmp_path, DEEPRACER_ROS="conda")
    assert_one_line_error(result, "DEEPRACER_ROS must be auto, system or wheels")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere, so a read-only venv cannot be staged")
def test_read_only_venv(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
    venv.chmod(0o555)
    try:
        result = run_setup(tmp_path)
        assert_one_line_error(result, "not writable")
    finally:
        venv.chmod(0o755)
