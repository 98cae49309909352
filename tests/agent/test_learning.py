"""A short training on an easy track learns: the mean reward and the mean progress rise."""
import json

from conftest import train_tiny


def test_short_training_on_the_oval_raises_progress(tmp_path):
    # term_cond_avg_score is the console's "stop at this average reward" hyperparameter; with the
    # centre-line reward (about 1 per step on the road) 60 means episodes ~4x longer than at the start.
    folder, summary = train_tiny(
        tmp_path, name="learner", track="beginner_oval",
        hyperparameters={"num_episodes_between_training": 8, "num_epochs": 4, "batch_size": 32, "lr": 0.001,
                         "term_cond_avg_score": 60.0},
        stop={"max_iterations": 10},
        training={"num_envs": 4, "eval_episodes": 0, "seed": 0, "env_options": {"max_steps": 400}},
    )
    progress = [report.mean_progress for report in summary.reports]
    rewards = [report.mean_reward for report in summary.reports]
    assert "term_cond_avg_score" in summary.stop_reason, (summary.stop_reason, rewards, progress)
    assert progress[-1] > progress[0] + 10.0, progress
    # The metrics file tells the same story, as deepracer-utils would read it.
    metrics = [m for m in json.loads(folder.training_metrics_path.read_text())["metrics"] if m["phase"] == "training"]
    first, last = metrics[:8], metrics[-8:]
    assert sum(m["completion_percentage"] for m in last) > sum(m["completion_percentage"] for m in first) + 80
