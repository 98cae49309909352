"""Every generated world and model loads without errors in libsdformat12 (the parser Gazebo uses)."""
from __future__ import annotations

from pathlib import Path

import pytest

from deepracer_sim.gazebo.car import CAR_VARIANTS
from deepracer_sim.gazebo.generate import all_files, write_files
from deepracer_sim.gazebo.sdf_check import check_files
from deepracer_sim.gazebo.track_source import sdf_name, shipped_track_names
from deepracer_sim.gazebo.world import MESH_NAMES, track_model_name, world_files

from gazebo_test_support import WORLDS


def _committed_sdf_files() -> list[Path]:
    return sorted(WORLDS.glob("*.sdf")) + sorted(WORLDS.glob("models/*/model.sdf"))


def test_every_shipped_track_and_car_variant_has_committed_files():
    tracks = shipped_track_names()
    assert tracks, "no shipped tracks found"
    for track in tracks:
        assert (WORLDS / f"{sdf_name(track)}.sdf").is_file(), f"world for {track} missing; run `deepracer gazebo worlds`"
        model = WORLDS / "models" / track_model_name(track)
        assert (model / "model.config").is_file() and (model / "model.sdf").is_file()
        for part in MESH_NAMES:
            assert (model / "meshes" / f"{part}.dae").is_file()
    for variant in CAR_VARIANTS.values():
        assert (WORLDS / "models" / variant.name / "model.sdf").is_file()


def test_committed_files_match_the_generator():
    """The committed worlds are what `deepracer gazebo worlds` writes today (nobody forgot to regenerate)."""
    expected = all_files()
    stale = [path for path, data in expected.items() if not (WORLDS / path).is_file() or (WORLDS / path).read_bytes() != data]
    assert not stale, f"worlds/ is out of date for {stale[:5]}; run `deepracer gazebo worlds`"
    generated_sdf = {path for path in expected if path.endswith((".sdf", ".config", ".dae"))}
    on_disk = {str(p.relative_to(WORLDS)) for p in WORLDS.rglob("*") if p.is_file() and p.suffix in (".sdf", ".config", ".dae")}
    assert on_disk == generated_sdf, f"files in worlds/ the generator does not write: {sorted(on_disk - generated_sdf)}"


def test_committed_worlds_and_models_load_in_libsdformat(sdf_checker):
    files = _committed_sdf_files()
    reports = check_files(files, [WORLDS / "models"], checker=sdf_checker)
    failures = {r.path: r.errors for r in reports if r.errors}
    assert not failures, failures
    worlds = [r for r in reports if r.of_kind("world")]
    assert len(worlds) == len(shipped_track_names())
    for report in worlds:
        world = report.of_kind("world")[0]
        models = {m["name"] for m in report.of_kind("model")}
        # The include resolved: the track model's meshes were read through model.config.
        assert {"ground_plane", "track"} <= models, (report.path, models)
        meshes = report.of_kind("mesh")
        assert sorted(m["visual"] for m in meshes) == sorted(MESH_NAMES)
        assert all(m["uri"].startswith(f"model://{world['name']}_track/meshes/") for m in meshes)
        assert world["lights"] == 1


def test_aws_route_world_with_walls_loads(sdf_checker, aws_tracks, tmp_path):
    """Any AWS route file becomes a world too (here re:Invent 2018, with the optional walls)."""
    files = world_files(aws_tracks / "reinvent_base.npy", walls=True)
    write_files(tmp_path, files)
    (report,) = check_files([tmp_path / "reinvent_base.sdf"], [tmp_path / "models"], checker=sdf_checker)
    assert not report.errors, report.errors
    walls = [link for link in report.of_kind("link") if link["model"] == "walls"]
    assert len(walls) == 1
    # Barriers surround the road on both sides of a loop: dozens of boxes, each with collision.
    assert walls[0]["collisions"] >= 40 and walls[0]["collisions"] == walls[0]["visuals"]


def test_checker_reports_real_errors(sdf_checker, tmp_path):
    """The checker is not a rubber stamp: a typo, a missing include and a dangling joint all fail."""
    good = (WORLDS / "models" / "deepracer_camera" / "model.sdf").read_text()
    typo = tmp_path / "typo.sdf"
    typo.write_text(good.replace("<update_rate>", "<update_rat>").replace("</update_rate>", "</update_rat>"))
    dangling = tmp_path / "dangling.sdf"
    dangling.write_text(good.replace("<parent>base_link</parent>", "<parent>no_such_link</parent>"))
    world = next(iter(sorted(WORLDS.glob("*.sdf")))).read_text()
    missing = tmp_path / "missing.sdf"
    missing.write_text(world.replace("_track</uri>", "_no_such_model</uri>"))
    reports = check_files([typo, dangling, missing], [WORLDS / "models"], checker=sdf_checker)
    messages = {Path(r.path).name: " ".join(r.errors) for r in reports}
    assert "update_rat" in messages["typo.sdf"]
    assert "no_such_link" in messages["dangling.sdf"]
    assert "_no_such_model" in messages["missing.sdf"]


def test_cli_regenerates_into_a_folder(tmp_path, capsys):
    from deepracer_sim.gazebo.cli import main

    track = shipped_track_names()[0]
    assert main(["worlds", "--track", track, "--out", str(tmp_path)]) == 0
    assert (tmp_path / f"{sdf_name(track)}.sdf").read_bytes() == (WORLDS / f"{sdf_name(track)}.sdf").read_bytes()
    assert "1 world(s)" in capsys.readouterr().out
    # Unchanged files are not rewritten.
    assert main(["worlds", "--track", track, "--out", str(tmp_path)]) == 0
    assert "; 0 changed" in capsys.readouterr().out


def test_cli_reports_unknown_track(tmp_path, capsys):
    from deepracer_sim.gazebo.cli import main

    assert main(["worlds", "--track", "no_such_track_anywhere", "--out", str(tmp_path)]) == 1
    assert "no_such_track_anywhere" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("bad", ["../x", "a b", "9lives"])
def test_sdf_names_are_safe(bad):
    name = sdf_name(bad)
    assert name.replace("_", "").isalnum() and not name[0].isdigit()


def test_deepracer_command_line_runs_the_gazebo_subcommand(tmp_path, monkeypatch, capsys):
    """register(subparsers) plugs into `deepracer` like every other command module."""
    from deepracer_bringup import cli

    monkeypatch.setattr(cli, "COMMAND_MODULES", ("deepracer_sim.gazebo.cli",))
    track = shipped_track_names()[-1]
    assert cli.main(["gazebo", "worlds", "--track", track, "--out", str(tmp_path)]) == 0
    assert (tmp_path / f"{sdf_name(track)}.sdf").is_file()
    assert cli.main(["gazebo", "worlds", "--track", str(tmp_path / "missing.npy"), "--out", str(tmp_path)]) == 1
    assert "missing.npy" in capsys.readouterr().err
