"""`deepracer sim up`: a launch file's nodes in one process, talking over DDS like separate ones."""
from __future__ import annotations

import subprocess
import sys

import pytest

from deepracer_agent.model.samples import untrained_model
from deepracer_common.action_space import discrete_from_garage
from deepracer_common.ros import names
from deepracer_common.ros import node_support as ros
from deepracer_interfaces.msg import AgentAction, ServoCtrlMsg, SimStep

pytestmark = pytest.mark.timeout(120)


def test_sim_up_runs_the_simulation_scenario(probe, ros_env, tmp_path):
    model = untrained_model(tmp_path / "model", discrete_from_garage(30.0, 5, 1.0, 3))
    log = open(tmp_path / "sim_up.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "deepracer_bringup", "sim", "up", "--model", str(model.path),
                                "--seconds", "40"], env=ros_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        steps = probe.subscribe(SimStep, names.SIM_STEP_TOPIC, ros.LOCKSTEP_QOS)
        actions = probe.subscribe(AgentAction, names.ACTION_TOPIC, ros.LOCKSTEP_QOS)
        servo = probe.subscribe(ServoCtrlMsg, names.SERVO_TOPIC, ros.SERVO_QOS)

        def running():
            if process.poll() is not None:
                raise AssertionError(f"deepracer sim up exited:\n{(tmp_path / 'sim_up.log').read_text()}")
            return len(steps) > 20 and actions and any(m.throttle > 0 for m in servo)

        probe.spin_until(running, 90, "the simulation scenario driving the car")
        # Real time at 15 Hz: the model's actions reach the simulator through control_node's servo messages.
        speeds = {round(a.speed, 5) for a in actions}  # float32 on the topic
        assert speeds <= {0.33, 0.67, 1.0}
        text = (tmp_path / "sim_up.log").read_text()
        assert "simulation with sim_node, agent_node, control_node" in text and "simulation.yaml" in text
    finally:
        process.terminate()  # SIGTERM: rclpy shuts the nodes down cleanly
        process.wait(20)
        log.close()
    assert process.returncode == 0, (tmp_path / "sim_up.log").read_text()[-3000:]


def test_sim_up_without_a_model_says_so_in_one_line(ros_env):
    result = subprocess.run([sys.executable, "-m", "deepracer_bringup", "sim", "up", "--scenario", "evaluation"],
                            env=ros_env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == "deepracer sim: the evaluation scenario needs --model (a model folder)"
