#!/usr/bin/env bash
# make setup: create .venv, install the pinned dependencies (and ROS 2 Jazzy or Kilted from PyPI
# wheels when the machine has no system ROS 2), fix the wheels' CMake paths, and build the workspace
# with colcon.
#
# Safe to rerun: every step checks a stamp of its inputs and is skipped when nothing changed, so a
# second run takes seconds and touches nothing. Every failure the user can meet (no registry, no
# compiler, an unsupported ROS 2, a read-only venv) ends in ONE line saying what to do; the full
# output of the failed tool is kept in log/setup/.
set -eEuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${DEEPRACER_VENV:-$ROOT/.venv}"
case "$VENV" in /*) ;; *) VENV="$PWD/$VENV" ;; esac
ROS_ROOT="${DEEPRACER_ROS_ROOT:-/opt/ros}"
ROS_MODE="${DEEPRACER_ROS:-auto}"            # auto | system | wheels
REQUESTED_DISTRO="${DEEPRACER_ROS_DISTRO:-}" # empty: the venv's own, else a system one, else the default
SUPPORTED_DISTROS="humble jazzy kilted"
WHEEL_DISTROS="jazzy kilted"                 # distros whose wheels requirements/ pins
DEFAULT_WHEEL_DISTRO="jazzy"                 # the LTS most ROS users and DeepRacer's images run
WHEEL_PYTHONS="3.11 3.12"                    # Python versions the ROS 2 wheels are published for
# The default venv builds into build/ and install/ beside src/; any other venv (a second distro,
# a test's) builds inside itself, so two venvs of one checkout never share a build.
if [ "$VENV" = "$ROOT/.venv" ]; then WORKSPACE="$ROOT"; else WORKSPACE="$VENV/workspace"; fi
LOG_DIR="${DEEPRACER_LOG_DIR:-$WORKSPACE/log/setup}"
STAMP_DIR="$VENV/.deepracer-stamps"

die() { echo "setup: error: $*" >&2; exit 1; }
# Anything not anticipated still ends in one line that points at the failing command.
trap 'die "unexpected failure in scripts/setup.sh line $LINENO: $BASH_COMMAND"' ERR
note() { echo "setup: $*"; }

# ---------------------------------------------------------------------------------------------
# 1. Which ROS 2: the system's (/opt/ros/<distro>) or the PyPI wheels.
# ---------------------------------------------------------------------------------------------
distro_title() { local d="$1"; printf '%s' "${d^}"; }

# What the venv already holds, as "wheels <distro>" or "system <setup.bash>" (empty for a new venv).
# Venvs made before the distro was recorded hold Kilted's wheels; rclpy's major version tells.
read_venv_ros() {
    VENV_ROS=""
    if [ -f "$STAMP_DIR/ros" ]; then
        VENV_ROS="$(cat "$STAMP_DIR/ros")"
    elif [ -f "$STAMP_DIR/ros_setup" ]; then
        VENV_ROS="system $(cat "$STAMP_DIR/ros_setup")"
    elif [ -x "$VENV/bin/python" ]; then
        case "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("ros-rclpy"))' 2>/dev/null)" in
            7.*) VENV_ROS="wheels jazzy" ;;
            9.*) VENV_ROS="wheels kilted" ;;
        esac
    fi
}

describe_ros() {
    case "$1" in
        wheels\ *) printf 'the ROS 2 %s wheels' "$(distro_title "${1#wheels }")" ;;
        system\ *) printf 'the system ROS 2 of %s' "${1#system }" ;;
    esac
}

choose_ros() {
    ROS_SETUP=""
    ROS_DISTRO_FOUND=""
    WHEELS_DISTRO=""
    case "$ROS_MODE" in
        auto|system|wheels) ;;
        *) die "DEEPRACER_ROS must be auto, system or wheels, not '$ROS_MODE'" ;;
    esac
    if [ -n "$REQUESTED_DISTRO" ] && [[ " $SUPPORTED_DISTROS " != *" $REQUESTED_DISTRO "* ]]; then
        die "DEEPRACER_ROS_DISTRO must be jazzy or kilted (or humble with a system ROS 2), not '$REQUESTED_DISTRO'"
    fi
    # With nothing asked for, a venv keeps the ROS 2 it was made with.
    if [ "$ROS_MODE" = auto ] && [ -z "$REQUESTED_DISTRO" ] && [ -n "$VENV_ROS" ]; then
        case "$VENV_ROS" in
            wheels\ *) WHEELS_DISTRO="${VENV_ROS#wheels }"; return ;;
            system\ *)
                [ -f "${VENV_ROS#system }" ] || die "$VENV was made for the ROS 2 of ${VENV_ROS#system }, which is gone: remove the venv (rm -rf $VENV) and rerun"
                ROS_MODE=system ;;
        esac
    fi
    if [ "$ROS_MODE" != wheels ]; then
        choose_system_ros
        if [ -n "$ROS_SETUP" ]; then return; fi
    fi
    WHEELS_DISTRO="$REQUESTED_DISTRO"
    if [ -z "$WHEELS_DISTRO" ] && [[ "$VENV_ROS" == wheels\ * ]]; then WHEELS_DISTRO="${VENV_ROS#wheels }"; fi
    WHEELS_DISTRO="${WHEELS_DISTRO:-$DEFAULT_WHEEL_DISTRO}"
    if [[ " $WHEEL_DISTROS " != *" $WHEELS_DISTRO "* ]]; then
        die "PyPI has no ROS 2 $(distro_title "$WHEELS_DISTRO") wheels and no system ROS 2 $(distro_title "$WHEELS_DISTRO") is under $ROS_ROOT; use DEEPRACER_ROS_DISTRO=jazzy or kilted"
    fi
}

choose_system_ros() {
    local installed=() distro distro_dir
    if [ -d "$ROS_ROOT" ]; then
        for distro_dir in "$ROS_ROOT"/*/; do
            [ -f "$distro_dir/setup.bash" ] && installed+=("$(basename "$distro_dir")")
        done
    fi
    # The distro asked for, else a ROS environment the user already sourced, names the one they want.
    local wanted="${REQUESTED_DISTRO:-${ROS_DISTRO:-}}"
    if [[ "$VENV_ROS" == system\ * ]] && [ -z "$REQUESTED_DISTRO" ]; then
        wanted="$(basename "$(dirname "${VENV_ROS#system }")")"
    fi
    if [ -n "$wanted" ] && [ -f "$ROS_ROOT/$wanted/setup.bash" ]; then
        installed=("$wanted")
    elif [ -n "$REQUESTED_DISTRO" ]; then
        installed=()
    fi
    if [ ${#installed[@]} -eq 0 ]; then
        if [ "$ROS_MODE" = system ]; then
            die "DEEPRACER_ROS=system but no ROS 2${REQUESTED_DISTRO:+ $REQUESTED_DISTRO} is installed under $ROS_ROOT"
        fi
        return
    fi
    for distro in "${installed[@]}"; do
        if [[ " $SUPPORTED_DISTROS " == *" $distro "* ]]; then
            ROS_DISTRO_FOUND="$distro"
            ROS_SETUP="$ROS_ROOT/$distro/setup.bash"
            return
        fi
    done
    die "ROS 2 '${installed[*]}' in $ROS_ROOT is not supported (use Humble, Jazzy or Kilted); run 'DEEPRACER_ROS=wheels make setup' to use ROS 2 $(distro_title "$DEFAULT_WHEEL_DISTRO") from PyPI instead"
}

# A venv holds one ROS 2: installing another distro's wheels over it would leave a mix of both, and
# its build would link the old one, so refuse with what to do instead.
check_venv_ros() {
    CHOSEN_ROS="wheels $WHEELS_DISTRO"
    if [ -n "$ROS_SETUP" ]; then CHOSEN_ROS="system $ROS_SETUP"; fi
    if [ -n "$VENV_ROS" ] && [ "$VENV_ROS" != "$CHOSEN_ROS" ]; then
        local remove="$VENV"
        if [ "$WORKSPACE" = "$ROOT" ]; then remove="$VENV $ROOT/build $ROOT/install"; fi
        local other=""
        if [ -n "$WHEELS_DISTRO" ]; then other=" (e.g. DEEPRACER_VENV=.venv-$WHEELS_DISTRO DEEPRACER_ROS_DISTRO=$WHEELS_DISTRO make setup)"; fi
        die "$VENV holds $(describe_ros "$VENV_ROS"), not $(describe_ros "$CHOSEN_ROS"): remove it first (rm -rf $remove) or give the other one a venv of its own$other"
    fi
}

# ---------------------------------------------------------------------------------------------
# 2. The tools the build needs, checked before anything is installed.
# ---------------------------------------------------------------------------------------------
choose_python() {
    if [ -n "$ROS_SETUP" ]; then
        # rclpy of a system ROS 2 is built for the system Python, so the venv must use it.
        PYTHON="${DEEPRACER_PYTHON:-/usr/bin/python3}"
        [ -x "$PYTHON" ] || die "ROS 2 $ROS_DISTRO_FOUND needs its system Python, but $PYTHON does not exist"
        return
    fi
    local candidate version
    for candidate in ${DEEPRACER_PYTHON:-python3.11 python3.12 python3}; do
        command -v "$candidate" >/dev/null 2>&1 || continue
        version="$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" || continue
        if [[ " $WHEEL_PYTHONS " == *" $version "* ]]; then
            PYTHON="$(command -v "$candidate")"
            return
        fi
    done
    die "the ROS 2 wheels need Python 3.11 or 3.12, none found (install python3.11, or set DEEPRACER_PYTHON)"
}

check_build_tools() {
    local cc="${CC:-cc}" cxx="${CXX:-c++}"
    command -v "$cc" >/dev/null 2>&1 || die "no C compiler ('$cc' not found); install one, e.g. 'sudo apt-get install build-essential'"
    command -v "$cxx" >/dev/null 2>&1 || die "no C++ compiler ('$cxx' not found); install one, e.g. 'sudo apt-get install build-essential'"
    "$PYTHON" -c 'import sysconfig, os, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
        || die "Python headers missing for $PYTHON (Python.h); install them, e.g. 'sudo apt-get install python3-dev'"
    "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null \
        || die "$PYTHON cannot create virtual environments; install venv, e.g. 'sudo apt-get install python3-venv'"
}

# ---------------------------------------------------------------------------------------------
# 3. The venv and its packages.
# ---------------------------------------------------------------------------------------------
stamp_matches() { [ -f "$STAMP_DIR/$1" ] && [ "$(cat "$STAMP_DIR/$1")" = "$2" ]; }
write_stamp() { mkdir -p "$STAMP_DIR"; printf '%s' "$2" > "$STAMP_DIR/$1"; }

create_venv() {
    if [ -x "$VENV/bin/python" ]; then
        [ -w "$VENV" ] || die "$VENV exists but is not writable by $(id -un); fix its permissions or set DEEPRACER_VENV"
        return
    fi
    mkdir -p "$(dirname "$VENV")" 2>/dev/null || die "cannot create $(dirname "$VENV") (permission denied?)"
    local flags=()
    # A system ROS 2 installs rclpy into the system site-packages, which the venv must see.
    if [ -n "$ROS_SETUP" ]; then flags+=(--system-site-packages); fi
    note "creating $VENV with $PYTHON"
    "$PYTHON" -m venv "${flags[@]}" "$VENV" >"$LOG_DIR/venv.log" 2>&1 \
        || die "could not create the virtual environment $VENV (see $LOG_DIR/venv.log)"
}

pip_install() {
    local log="$LOG_DIR/pip.log"
    if ! "$VENV/bin/python" -m pip install --disable-pip-version-check "$@" >"$log" 2>&1; then
        # pip words an unreachable registry as a resolution conflict ("versions: none"), so ask the
        # registry for one small package we need to tell the two apart.
        if ! "$VENV/bin/python" -m pip index versions PyYAML >"$LOG_DIR/pip-probe.log" 2>&1; then
            die "cannot download Python packages: the package registry is not reachable (see $log)"
        fi
        die "pip install failed: $(grep -m1 '^ERROR' "$log" || tail -n 1 "$log") (see $log)"
    fi
}

torch_is_cpu_build() {
    "$VENV/bin/python" - "$@" <<'EOF' 2>/dev/null
import json, sys
report = json.load(open(sys.argv[1]))
names = [item["metadata"]["name"].lower() for item in report.get("install", [])]
sys.exit(1 if any(name.startswith("nvidia-") or name == "triton" for name in names) else 0)
EOF
}

install_packages() {
    local files=("$ROOT/requirements/python.txt" "$ROOT/requirements/build.txt")
    local constraints=("$ROOT/requirements/constraints.txt")
    if [ -z "$ROS_SETUP" ]; then
        files+=("$ROOT/requirements/ros-$WHEELS_DISTRO.txt")
        constraints+=("$ROOT/requirements/constraints-ros-$WHEELS_DISTRO.txt")
    fi
    local inputs
    inputs="$(cat "${files[@]}" "$ROOT/requirements/torch.txt" "${constraints[@]}" | sha256sum | cut -c1-16)-$CHOSEN_ROS"
    if stamp_matches packages "$inputs"; then
        return
    fi
    local requirement_args=()
    for file in "${files[@]}" "$ROOT/requirements/torch.txt"; do requirement_args+=(-r "$file"); done
    if [ -n "$ROS_SETUP" ]; then
        # A system ROS 2's message packages are compiled against the system numpy; a second numpy
        # in the venv would break them (numpy 1 vs 2 ABI), so keep the system's and let the other
        # pins resolve against it.
        local system_numpy
        system_numpy="$("$PYTHON" -c 'import numpy; print(numpy.__version__)' 2>/dev/null)" \
            || die "ROS 2 $ROS_DISTRO_FOUND's Python has no numpy; install python3-numpy"
        printf 'numpy==%s\n' "$system_numpy" > "$STAMP_DIR/system-numpy.txt"
        grep -v '^numpy==' "$ROOT/requirements/python.txt" > "$STAMP_DIR/python-system-ros.txt"
        requirement_args=(-r "$STAMP_DIR/python-system-ros.txt" -r "$ROOT/requirements/build.txt" -r "$ROOT/requirements/torch.txt" -c "$STAMP_DIR/system-numpy.txt")
    else
        for file in "${constraints[@]}"; do requirement_args+=(-c "$file"); done
    fi
    if [ -n "${DEEPRACER_TORCH_INDEX_URL:-}" ]; then
        requirement_args+=(--extra-index-url "$DEEPRACER_TORCH_INDEX_URL")
    fi
    note "installing pinned Python packages into $VENV (first run only; a few minutes)"
    pip_install --upgrade "pip>=23"
    # Resolve first and refuse a CUDA torch: on most indexes a plain torch==2.13.0 is the CUDA
    # build, several GB of nvidia-* packages that a CPU-only laptop must never download.
    local report="$LOG_DIR/pip-plan.json"
    pip_install --dry-run --ignore-installed --report "$report" "${requirement_args[@]}"
    torch_is_cpu_build "$report" \
        || die "torch==2.13.0 from your package index is the CUDA build (it pulls nvidia-* packages); set DEEPRACER_TORCH_INDEX_URL to PyTorch's CPU wheel index, or put the CPU wheel in a PIP_FIND_LINKS folder, then rerun"
    pip_install "${requirement_args[@]}"
    "$VENV/bin/python" -c 'import torch, sys; sys.exit(torch.version.cuda is not None)' \
        || die "the installed torch is a CUDA build; remove .venv and rerun with DEEPRACER_TORCH_INDEX_URL set to PyTorch's CPU wheel index"
    write_stamp packages "$inputs"
}

# ---------------------------------------------------------------------------------------------
# 4. The wheels' CMake exports name the Python and numpy include folders of the machine that
#    built them (/opt/python/cp3XX-cp3XX/...). CMake refuses to generate while those paths do not
#    exist, so rewrite them to this venv's folders (a no-op once done).
# ---------------------------------------------------------------------------------------------
fix_wheel_paths() {
    if [ -n "$ROS_SETUP" ]; then return; fi
    "$VENV/bin/python" "$ROOT/scripts/fix_ros_wheel_paths.py" "$VENV" >"$LOG_DIR/fix-paths.log" 2>&1 \
        || die "$(tail -n 1 "$LOG_DIR/fix-paths.log")"
}

# ---------------------------------------------------------------------------------------------
# 5. Optional: Debian's SDF parser, for checking the generated Gazebo worlds. Never fatal.
# ---------------------------------------------------------------------------------------------
install_sdformat() {
    local packages=(libsdformat-dev sdformat-sdf pkg-config assimp-utils)
    if dpkg -s "${packages[@]}" >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
        return
    fi
    if [ "$(id -u)" -ne 0 ]; then
        note "skipping Debian's SDF parser (not root); Gazebo world checks will be skipped. Install it with: sudo apt-get install ${packages[*]}"
        return
    fi
    note "installing ${packages[*]} (SDF parser for the Gazebo world checks)"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}"; } >"$LOG_DIR/apt.log" 2>&1; then
        note "could not install ${packages[*]} (see $LOG_DIR/apt.log); Gazebo world checks will be skipped"
    fi
}

# ---------------------------------------------------------------------------------------------
# 6. Build the workspace.
# ---------------------------------------------------------------------------------------------
source_tree_stamp() {
    # Names, sizes and times of every file colcon reads; symlink-install makes Python edits live,
    # so only a new or changed package file needs a rebuild, but hashing everything is cheap.
    local folders=() folder
    for folder in src launch config worlds; do
        if [ -d "$ROOT/$folder" ]; then folders+=("$folder"); fi
    done
    (cd "$ROOT" && find "${folders[@]}" -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -printf '%p %s %T@\n' | sort | sha256sum | cut -c1-16)
}

build_workspace() {
    local stamp
    stamp="$(source_tree_stamp)-$CHOSEN_ROS"
    if stamp_matches build "$stamp" && [ -f "$WORKSPACE/install/setup.bash" ]; then
        return
    fi
    local skip=()
    # Our tf2_msgs only fills the wheels' gap: a system ROS 2 has its own, which must win.
    if [ -n "$ROS_SETUP" ]; then skip=(--packages-skip tf2_msgs); fi
    note "building the workspace with colcon"
    if ! (
        set +u
        # shellcheck disable=SC1090
        export DEEPRACER_VENV="$VENV"
        source "$ROOT/scripts/env.sh" --no-workspace
        cd "$ROOT"
        colcon --log-base "$WORKSPACE/log" build --build-base "$WORKSPACE/build" --install-base "$WORKSPACE/install" \
            --symlink-install "${skip[@]}" --event-handlers console_direct- >"$LOG_DIR/colcon.log" 2>&1
    ); then
        local reason
        reason="$(grep -m1 -E "CMake Error|error:|Error" "$LOG_DIR/colcon.log" || true)"
        die "colcon build failed${reason:+: ${reason}} (see $LOG_DIR/colcon.log)"
    fi
    write_stamp build "$(source_tree_stamp)-$CHOSEN_ROS"
}

main() {
    read_venv_ros
    choose_ros
    check_venv_ros
    choose_python
    check_build_tools
    mkdir -p "$LOG_DIR" 2>/dev/null || die "cannot write $LOG_DIR (permission denied?)"
    create_venv
    mkdir -p "$STAMP_DIR" 2>/dev/null || die "cannot write to $VENV (permission denied?)"
    # Recorded before anything is installed, so a half-finished install still says what it holds;
    # env.sh reads these to source the same ROS 2 and workspace.
    write_stamp ros "$CHOSEN_ROS"
    write_stamp workspace "$WORKSPACE"
    if [ -n "$ROS_SETUP" ]; then
        printf '%s\n' "$ROS_SETUP" > "$STAMP_DIR/ros_setup"
    else
        rm -f "$STAMP_DIR/ros_setup"
    fi
    install_packages
    fix_wheel_paths
    if [ "${DEEPRACER_SKIP_APT:-0}" != 1 ]; then install_sdformat; fi
    build_workspace
    note "ready ($(describe_ros "$CHOSEN_ROS") in $VENV); 'make shell' opens a shell with the workspace sourced"
}

main "$@"
