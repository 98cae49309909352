# Two commands take a fresh clone to a running stack:
#   make test   set up (first time only), build and run the whole test suite
#   make demo   set up, then train a camera model until it laps, evaluate and plot it
SHELL := /bin/bash
.DEFAULT_GOAL := help
WITH_ENV := source scripts/env.sh &&
# Long benchmarks are kept out of `make test`; `make bench` runs them.
PYTEST_ARGS ?=
# The tests that talk to ROS 2 (rclpy, DDS, our interface packages): what has to pass on every
# distro we support. CI runs them a second time on the other distro's wheels (.ci/run).
ROS_TESTS ?= tests/nodes tests/foundation/test_dds_roundtrip.py tests/foundation/test_tf2_msgs.py \
	tests/foundation/test_setup_distros.py \
	tests/gazebo/test_gazebo_bridge_node.py

.PHONY: help setup build test test-ros demo shell bench worlds clean

help:
	@echo "make setup   create .venv, install pinned dependencies (ROS 2 wheels if no system ROS 2), build"
	@echo "             DEEPRACER_ROS_DISTRO=jazzy|kilted picks the wheels' distro (default: jazzy)"
	@echo "make test    the whole test suite against the built workspace"
	@echo "make test-ros  only the tests that talk to ROS 2, e.g. on a second distro:"
	@echo "             DEEPRACER_VENV=.venv-kilted DEEPRACER_ROS_DISTRO=kilted make test-ros"
	@echo "make demo    train the workshop model until it completes laps, evaluate 3 laps, plot"
	@echo "make shell   a shell with the venv, ROS 2 and the workspace sourced"
	@echo "make bench   the speed benchmarks (simulator, policy latency, ROS loop)"
	@echo "make worlds  regenerate the Gazebo worlds from the shipped tracks"
	@echo "make clean   remove build/, install/ and log/ (keeps .venv)"

setup:
	@bash scripts/setup.sh

build: setup

test: setup
	@$(WITH_ENV) python -m pytest tests $(PYTEST_ARGS)

test-ros: setup
	@$(WITH_ENV) python -m pytest $(ROS_TESTS) $(PYTEST_ARGS)

demo: setup
	@$(WITH_ENV) python -m deepracer_bringup demo

shell: setup
	@bash --rcfile <(echo 'source ~/.bashrc 2>/dev/null; source scripts/env.sh; PS1="(deepracer) $$PS1"')

bench: setup
	@$(WITH_ENV) python -m deepracer_sim.bench
	@$(WITH_ENV) python -m deepracer_agent.bench.latency
	@$(WITH_ENV) python -m deepracer_bringup.bench_loop

worlds: setup
	@$(WITH_ENV) python -m deepracer_bringup gazebo worlds

clean:
	rm -rf build install log
