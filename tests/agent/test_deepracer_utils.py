"""The community's analysis library opens our model folder as it is (runs when deepracer-utils is installed).

Verified with deepracer-utils 1.5.6; it is not a dependency of the stack, so without it this test skips.
"""
import pytest

logs = pytest.importorskip("deepracer.logs", reason="deepracer-utils is not installed (pip install deepracer-utils)")


def test_deepracer_utils_reads_training_evaluation_and_metrics(trained_model):
    from deepracer.logs import AnalysisUtils, DeepRacerLog
    from deepracer.logs.metrics import TrainingMetrics
    from deepracer.logs.misc import LogFolderType

    from deepracer_agent.evaluation import evaluate_model

    folder, summary = trained_model
    evaluate_model(str(folder.path), laps=1, max_steps=200)
    log = DeepRacerLog(model_folder=str(folder.path))
    assert log.fh.type == LogFolderType.DRFC_MODEL_SINGLE_WORKERS
    log.load_training_trace()
    frame = log.dataframe()
    assert len(frame) == summary.steps
    assert sorted(frame["unique_episode"].unique()) == list(range(summary.episodes))
    aggregated = AnalysisUtils.simulation_agg(frame)
    assert len(aggregated) == summary.episodes
    evaluation = DeepRacerLog(model_folder=str(folder.path))
    evaluation.load_evaluation_trace()
    assert len(evaluation.dataframe()) > 0
    metrics = TrainingMetrics(bucket=None, model_name=None, fname=str(folder.training_metrics_path))
    assert len(metrics.getSummary(method="mean")) == summary.iterations
