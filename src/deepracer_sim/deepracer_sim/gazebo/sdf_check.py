"""Check SDF files with the official parser, libsdformat (Debian 12: libsdformat12).

Gazebo itself cannot run here, so the generated worlds and models are loaded with the same
library Gazebo uses, through a tiny C++ program compiled on first use against
`pkg-config sdformat12`. The program loads each file with `sdf::Root::Load` (resolving
`model://` includes against the given model folders, unrecognised elements and warnings
treated as errors), prints every error, and then prints what the parser understood of each
sensor, joint and link, so tests can compare the parsed values (not just our XML) with the
spec.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

PKG_CONFIG_NAME = "sdformat12"

CHECKER_SOURCE = r"""
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <sdf/sdf.hh>

namespace {

std::string quote(const std::string &text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') { out += '\\'; out += c; }
    else if (c == '\n') { out += "\\n"; }
    else if (static_cast<unsigned char>(c) < 0x20) { out += ' '; }
    else { out += c; }
  }
  return out + "\"";
}

std::string pose(const ignition::math::Pose3d &p) {
  std::ostringstream s;
  s.precision(9);
  s << "[" << p.Pos().X() << "," << p.Pos().Y() << "," << p.Pos().Z() << ","
    << p.Rot().Roll() << "," << p.Rot().Pitch() << "," << p.Rot().Yaw() << "]";
  return s.str();
}

void report_model(const sdf::Model *model, const std::string &scope) {
  const std::string name = scope + model->Name();
  std::cout << "{\"kind\":\"model\",\"name\":" << quote(name)
            << ",\"links\":" << model->LinkCount() << ",\"joints\":" << model->JointCount()
            << ",\"static\":" << (model->Static() ? "true" : "false") << "}\n";
  for (uint64_t i = 0; i < model->LinkCount(); ++i) {
    const sdf::Link *link = model->LinkByIndex(i);
    std::cout << "{\"kind\":\"link\",\"model\":" << quote(name) << ",\"name\":" << quote(link->Name())
              << ",\"mass\":" << link->Inertial().MassMatrix().Mass()
              << ",\"pose\":" << pose(link->RawPose())
              << ",\"visuals\":" << link->VisualCount() << ",\"collisions\":" << link->CollisionCount() << "}\n";
    for (uint64_t v = 0; v < link->VisualCount(); ++v) {
      const sdf::Visual *visual = link->VisualByIndex(v);
      const sdf::Geometry *geometry = visual->Geom();
      if (geometry && geometry->Type() == sdf::GeometryType::MESH && geometry->MeshShape()) {
        std::cout << "{\"kind\":\"mesh\",\"model\":" << quote(name) << ",\"visual\":" << quote(visual->Name())
                  << ",\"uri\":" << quote(geometry->MeshShape()->Uri()) << "}\n";
      }
    }
    for (uint64_t s = 0; s < link->SensorCount(); ++s) {
      const sdf::Sensor *sensor = link->SensorByIndex(s);
      std::cout << "{\"kind\":\"sensor\",\"model\":" << quote(name) << ",\"link\":" << quote(link->Name())
                << ",\"name\":" << quote(sensor->Name()) << ",\"type\":" << quote(sensor->TypeStr())
                << ",\"topic\":" << quote(sensor->Topic()) << ",\"update_rate\":" << sensor->UpdateRate()
                << ",\"pose\":" << pose(sensor->RawPose());
      if (const sdf::Camera *camera = sensor->CameraSensor()) {
        std::cout << ",\"hfov\":" << camera->HorizontalFov().Radian() << ",\"width\":" << camera->ImageWidth()
                  << ",\"height\":" << camera->ImageHeight() << ",\"format\":" << quote(camera->PixelFormatStr())
                  << ",\"near\":" << camera->NearClip() << ",\"far\":" << camera->FarClip();
      }
      if (const sdf::Lidar *lidar = sensor->LidarSensor()) {
        std::cout << ",\"samples\":" << lidar->HorizontalScanSamples()
                  << ",\"min_angle\":" << lidar->HorizontalScanMinAngle().Radian()
                  << ",\"max_angle\":" << lidar->HorizontalScanMaxAngle().Radian()
                  << ",\"range_min\":" << lidar->RangeMin() << ",\"range_max\":" << lidar->RangeMax()
                  << ",\"range_resolution\":" << lidar->RangeResolution()
                  << ",\"noise_stddev\":" << lidar->LidarNoise().StdDev();
      }
      std::cout << "}\n";
    }
  }
  for (uint64_t j = 0; j < model->JointCount(); ++j) {
    const sdf::Joint *joint = model->JointByIndex(j);
    std::cout << "{\"kind\":\"joint\",\"model\":" << quote(name) << ",\"name\":" << quote(joint->Name())
              << ",\"parent\":" << quote(joint->ParentLinkName()) << ",\"child\":" << quote(joint->ChildLinkName());
    if (const sdf::JointAxis *axis = joint->Axis(0)) {
      std::cout << ",\"axis\":[" << axis->Xyz().X() << "," << axis->Xyz().Y() << "," << axis->Xyz().Z() << "]"
                << ",\"lower\":" << axis->Lower() << ",\"upper\":" << axis->Upper();
    }
    std::cout << "}\n";
  }
  for (uint64_t m = 0; m < model->ModelCount(); ++m) {
    report_model(model->ModelByIndex(m), name + "::");
  }
}

}  // namespace

int main(int argc, char **argv) {
  sdf::ParserConfig config;
  config.SetUnrecognizedElementsPolicy(sdf::EnforcementPolicy::ERR);
  config.SetWarningsPolicy(sdf::EnforcementPolicy::ERR);
  config.SetDeprecatedElementsPolicy(sdf::EnforcementPolicy::ERR);
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--models" && i + 1 < argc) {
      config.AddURIPath("model://", argv[++i]);
    } else {
      files.push_back(arg);
    }
  }
  int failures = 0;
  for (const std::string &file : files) {
    sdf::Root root;
    sdf::Errors errors = root.Load(file, config);
    std::cout << "{\"kind\":\"file\",\"path\":" << quote(file) << ",\"errors\":" << errors.size()
              << ",\"version\":" << quote(root.Version()) << ",\"worlds\":" << root.WorldCount() << "}\n";
    for (const sdf::Error &error : errors) {
      std::ostringstream message;
      message << error;
      std::cout << "{\"kind\":\"error\",\"path\":" << quote(file) << ",\"message\":" << quote(message.str()) << "}\n";
    }
    if (!errors.empty()) { ++failures; continue; }
    for (uint64_t w = 0; w < root.WorldCount(); ++w) {
      const sdf::World *world = root.WorldByIndex(w);
      std::cout << "{\"kind\":\"world\",\"name\":" << quote(world->Name()) << ",\"models\":" << world->ModelCount()
                << ",\"lights\":" << world->LightCount() << "}\n";
      for (uint64_t m = 0; m < world->ModelCount(); ++m) {
        report_model(world->ModelByIndex(m), "");
      }
    }
    if (const sdf::Model *model = root.Model()) {
      report_model(model, "");
    }
  }
  return failures == 0 ? 0 : 1;
}
"""


class CheckerUnavailable(RuntimeError):
    """libsdformat12's headers or a C++ compiler are missing; the message says what to install."""


@dataclass
class FileReport:
    path: str
    errors: list[str] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[dict]:
        return [r for r in self.records if r["kind"] == kind]


def _pkg_config_flags() -> list[str]:
    if shutil.which("pkg-config") is None:
        raise CheckerUnavailable("pkg-config is not installed (apt-get install pkg-config)")
    result = subprocess.run(
        ["pkg-config", "--cflags", "--libs", PKG_CONFIG_NAME], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise CheckerUnavailable(
            f"pkg-config cannot find {PKG_CONFIG_NAME} (Debian 12: apt-get install libsdformat-dev): "
            + result.stderr.strip()
        )
    return result.stdout.split()


def build_checker(cache_dir: Path | None = None) -> Path:
    """Compile the checker once per source and library version; returns the executable."""
    compiler = os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++")
    if not compiler:
        raise CheckerUnavailable("no C++ compiler (apt-get install g++)")
    flags = _pkg_config_flags()
    key = hashlib.sha256((CHECKER_SOURCE + " ".join(flags) + compiler).encode()).hexdigest()[:16]
    cache = Path(cache_dir or os.environ.get("DEEPRACER_SDF_CHECKER_DIR") or
                 Path(tempfile.gettempdir()) / f"deepracer_sdf_checker_{os.getuid()}")
    cache.mkdir(parents=True, exist_ok=True)
    binary = cache / f"sdf_check_{key}"
    if binary.exists():
        return binary
    source = cache / f"sdf_check_{key}.cpp"
    source.write_text(CHECKER_SOURCE)
    partial = cache / f".sdf_check_{key}.{os.getpid()}.tmp"
    result = subprocess.run(
        [compiler, "-std=c++17", "-O0", str(source), "-o", str(partial), *flags],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise CheckerUnavailable(f"compiling the SDF checker failed:\n{result.stderr[-4000:]}")
    os.replace(partial, binary)
    return binary


def check_files(paths: list[Path], model_dirs: list[Path] = (), checker: Path | None = None) -> list[FileReport]:
    """Load each SDF file with libsdformat; one report per file, errors empty when it loads cleanly."""
    checker = checker or build_checker()
    command = [str(checker)]
    for folder in model_dirs:
        command += ["--models", str(Path(folder).resolve())]
    command += [str(Path(p).resolve()) for p in paths]
    # The checker reads model.config files through libsdformat's own logic; keep the user's
    # SDF_PATH / GZ_SIM_RESOURCE_PATH out so only the folders given here can satisfy includes.
    env = {k: v for k, v in os.environ.items() if k not in ("SDF_PATH", "GZ_SIM_RESOURCE_PATH", "IGN_GAZEBO_RESOURCE_PATH")}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    reports: list[FileReport] = []
    for line in result.stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        record = json.loads(line)
        if record["kind"] == "file":
            reports.append(FileReport(record["path"]))
        elif record["kind"] == "error":
            reports[-1].errors.append(record["message"])
        else:
            reports[-1].records.append(record)
    # libsdformat also prints to stderr; anything there for a file without reported errors is
    # still worth surfacing, so attach it to the last report rather than dropping it.
    stderr = result.stderr.strip()
    if stderr and reports and not any(r.errors for r in reports):
        reports[-1].errors.append("stderr: " + stderr[-2000:])
    if len(reports) != len(paths):
        raise RuntimeError(f"SDF checker reported {len(reports)} of {len(paths)} files:\n{result.stdout[-2000:]}\n{stderr[-2000:]}")
    return reports
