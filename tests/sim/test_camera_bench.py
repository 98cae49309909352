"""The sensor benchmark runs end to end and reports a positive rate for every configuration
(no timing is asserted: the figures depend on the machine)."""
import json

from deepracer_sim.bench import sensors as bench


def test_bench_reports_every_configuration(capsys):
    assert bench.main(["--track", "beginner_oval", "--frames", "16", "--runs", "1", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert set(results) == set(bench.CAMERA_CONFIGS) | {"lidar", "lidar+walls"}
    for rates in results.values():
        assert set(rates) == {"single", "batch8", "single_cpu", "batch8_cpu"}
        assert all(value > 0 for value in rates.values())
