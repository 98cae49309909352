# Source this file (bash) to get the project's environment: the venv, ROS 2 (system or wheels)
# and, unless --no-workspace is given, the built workspace (install/, or the one inside a venv
# chosen with DEEPRACER_VENV).
#   source scripts/env.sh
#   DEEPRACER_VENV=.venv-kilted source scripts/env.sh
# `make shell` opens a shell with it; bin/deepracer and the make targets use it too.

_deepracer_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_deepracer_venv="${DEEPRACER_VENV:-$_deepracer_root/.venv}"
case "$_deepracer_venv" in /*) ;; *) _deepracer_venv="$PWD/$_deepracer_venv" ;; esac

if [ ! -x "$_deepracer_venv/bin/python" ]; then
    echo "deepracer: $_deepracer_venv is missing; run 'make setup' first" >&2
    return 1 2>/dev/null || exit 1
fi

export VIRTUAL_ENV="$_deepracer_venv"
case ":$PATH:" in
    *":$_deepracer_venv/bin:"*) ;;
    *) export PATH="$_deepracer_venv/bin:$PATH" ;;
esac

if [ -f "$_deepracer_venv/.deepracer-stamps/ros_setup" ]; then
    # A system ROS 2 (Humble, Jazzy or Kilted) chosen by make setup.
    # shellcheck disable=SC1090
    source "$(cat "$_deepracer_venv/.deepracer-stamps/ros_setup")"
else
    # ROS 2 from PyPI wheels (Jazzy or Kilted, as make setup recorded): the venv is the ROS prefix.
    case ":${AMENT_PREFIX_PATH:-}:" in
        *":$_deepracer_venv:"*) ;;
        *) export AMENT_PREFIX_PATH="$_deepracer_venv${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}" ;;
    esac
    case ":${CMAKE_PREFIX_PATH:-}:" in
        *":$_deepracer_venv:"*) ;;
        *) export CMAKE_PREFIX_PATH="$_deepracer_venv${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}" ;;
    esac
fi

_deepracer_workspace="$_deepracer_root"
if [ -f "$_deepracer_venv/.deepracer-stamps/workspace" ]; then
    _deepracer_workspace="$(cat "$_deepracer_venv/.deepracer-stamps/workspace")"
fi
if [ "${1:-}" != "--no-workspace" ]; then
    if [ -f "$_deepracer_workspace/install/setup.bash" ]; then
        # shellcheck disable=SC1091
        source "$_deepracer_workspace/install/setup.bash"
    else
        echo "deepracer: the workspace is not built; run 'make setup'" >&2
    fi
fi
# bin/deepracer: the command line, on PATH in a sourced shell.
case ":$PATH:" in
    *":$_deepracer_root/bin:"*) ;;
    *) export PATH="$_deepracer_root/bin:$PATH" ;;
esac
export DEEPRACER_ROOT="$_deepracer_root"
unset _deepracer_root _deepracer_venv _deepracer_workspace
