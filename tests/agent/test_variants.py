"""Other vehicles train and export too: continuous actions, stereo cameras with LIDAR, the 5-layer CNN."""
import json

import numpy as np
import pandas as pd
import pytest
from conftest import train_tiny

VARIANTS = {
    "continuous": {"sensors": ["FRONT_FACING_CAMERA"], "neural_network": "3-layer CNN",
                   "action_space": {"type": "continuous", "steering_angle": {"low": -30, "high": 30},
                                    "speed": {"low": 0.5, "high": 1.5}}},
    "stereo+lidar": {"sensors": ["STEREO_CAMERAS", "LIDAR"], "neural_network": "3-layer CNN",
                     "action_space": {"max_steering_angle": 30, "steering_granularity": 3, "max_speed": 1,
                                      "speed_granularity": 1}},
    "5-layer+sector": {"sensors": ["FRONT_FACING_CAMERA", "SECTOR_LIDAR"], "neural_network": "5-layer CNN",
                       "action_space": {"max_steering_angle": 20, "steering_granularity": 5, "max_speed": 2,
                                        "speed_granularity": 2}},
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variant_trains_one_iteration_and_exports(tmp_path, variant):
    from deepracer_agent.model.export import export_onnx

    folder, summary = train_tiny(
        tmp_path, name="variant", vehicle=VARIANTS[variant],
        hyperparameters={"num_episodes_between_training": 2}, stop={"max_iterations": 1},
        training={"eval_episodes": 1, "env_options": {"max_steps": 60}},
    )
    assert summary.iterations == 1
    metadata = json.loads(folder.metadata_path.read_text())
    trace = pd.read_csv(folder.simtrace_dir / "0-iteration.csv")
    if variant == "continuous":
        assert metadata["action_space_type"] == "continuous"
        # The simulator's continuous format: "[steer speed]", the commanded values.
        first = trace["action"].iloc[1]
        steer, speed = (float(v) for v in first.strip("[]").split())
        assert (steer, speed) == (trace["steer"].iloc[1], trace["throttle"].iloc[1])
        assert trace["throttle"].between(0.5, 1.5).all() and trace["steer"].between(-30, 30).all()
    else:
        assert trace["action"].dtype == np.int64
    result = export_onnx(folder, output=tmp_path / "policy.onnx")
    assert result["max_abs_difference"] < 1e-4
    assert result["inputs"] == metadata["sensor"]
