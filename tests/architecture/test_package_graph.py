"""The package graph follows the data path (docs/architecture.md); these tests fail when a rule breaks.

They read the imports of every module under src/ as written (module level and inside functions),
so a lazy import that would close a cycle or cross a layer counts like any other.
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

# Which of our packages each package may import. A new package must be added here on purpose.
ALLOWED = {
    "deepracer_common": {"deepracer_interfaces"},
    "deepracer_sim": {"deepracer_common", "deepracer_interfaces"},
    "deepracer_control": {"deepracer_common", "deepracer_interfaces"},
    "deepracer_agent": {"deepracer_common", "deepracer_sim", "deepracer_interfaces"},
    "deepracer_bringup": {"deepracer_common", "deepracer_sim", "deepracer_agent", "deepracer_control",
                          "deepracer_interfaces"},
}
OURS = set(ALLOWED) | {"deepracer_interfaces"}
# Third-party imports only the ROS side of a package may make.
ROS_ONLY = ("rclpy", "launch", "launch_ros", "ament_index_python")


def python_packages() -> dict[str, Path]:
    """Top-level Python package name -> its folder, for every ament_python package under src/."""
    found = {}
    for setup in sorted(SRC.glob("*/setup.py")):
        for init in sorted(setup.parent.glob("*/__init__.py")):
            found[init.parent.name] = init.parent
    return found


def module_files() -> dict[str, Path]:
    modules = {}
    for package, folder in python_packages().items():
        for path in sorted(folder.rglob("*.py")):
            parts = list(path.relative_to(folder.parent).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


MODULES = module_files()


def imports_of(name: str, path: Path) -> set[str]:
    """Every module name `name` imports, resolved to the longest name that exists (ours) or as written."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in MODULES else target)
    return found


GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}


def top(module: str) -> str:
    return module.split(".")[0]


def is_ros_side(module: str) -> bool:
    """Node modules, the nodes' shared ROS helpers, and the bring-up (which starts nodes)."""
    parts = module.split(".")
    return "nodes" in parts or module.startswith("deepracer_common.ros") or parts[0] == "deepracer_bringup"


def test_every_python_package_has_a_rule():
    assert set(python_packages()) <= set(ALLOWED), (
        f"packages without a rule in ALLOWED: {sorted(set(python_packages()) - set(ALLOWED))}; "
        "decide what they may import (docs/architecture.md) and add them")
    assert len(MODULES) > 50  # the walk found the tree


def test_packages_import_only_what_their_layer_allows():
    wrong = []
    for module, targets in GRAPH.items():
        for target in targets:
            package = top(target)
            if package in OURS and package != top(module) and package not in ALLOWED[top(module)]:
                wrong.append(f"{module} imports {target}")
    assert not wrong, "imports that run against the data path:\n  " + "\n  ".join(sorted(wrong))


def test_no_import_cycles_between_modules():
    ours = {module: {t for t in targets if t in MODULES and t != module} for module, targets in GRAPH.items()}
    # Tarjan's strongly connected components: any component of more than one module is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []
    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in ours[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(ours):
        if module not in index:
            visit(module)
    assert not cycles, "modules that import each other: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_core_modules_import_no_ros():
    wrong = []
    for module, targets in GRAPH.items():
        if is_ros_side(module):
            continue
        for target in targets:
            if top(target) in ROS_ONLY or (target in MODULES and is_ros_side(target)):
                wrong.append(f"{module} imports {target}")
    assert not wrong, "core modules must work without ROS:\n  " + "\n  ".join(sorted(wrong))


def test_only_the_bringup_imports_node_modules():
    wrong = []
    for module, targets in GRAPH.items():
        for target in targets:
            if target not in MODULES or "nodes" not in target.split("."):
                continue
            same_nodes_folder = target.rsplit(".", 1)[0] == module.rsplit(".", 1)[0]
            if top(module) != "deepracer_bringup" and not same_nodes_folder:
                wrong.append(f"{module} imports {target}")
    assert not wrong, "node modules are started by the bring-up, not imported:\n  " + "\n  ".join(sorted(wrong))


BLOCKER = textwrap.dedent("""
    import importlib.abc, sys

    BLOCKED = {"deepracer_sim", "gymnasium", "numba", "torch", "matplotlib", "pandas", "scipy", "shapely"}

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"{name} is not installed on the car", name=name)
            return None

    sys.meta_path.insert(0, Blocker())
    for module in sys.argv[1:]:
        __import__(module)
    print("imported", len(sys.argv) - 1)
""")


def test_the_car_side_path_needs_no_simulator_and_no_torch():
    """What runs on the physical car (the policy runner and agent_node) imports without the simulator, the
    training stack or torch, as on a stock car."""
    pytest.importorskip("rclpy", reason="rclpy is not installed: run `make setup` and source scripts/env.sh")
    car_side = sorted(m for m in MODULES if m.startswith("deepracer_agent.policy")) + ["deepracer_agent.nodes.agent_node"]
    result = subprocess.run([sys.executable, "-c", BLOCKER, *car_side], capture_output=True, text=True, timeout=120,
                            env=dict(os.environ))
    assert result.returncode == 0, result.stderr[-2000:]
