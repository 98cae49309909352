import os
from glob import glob

from setuptools import find_packages, setup

package_name = "deepracer_sim"
REPO = os.path.join("..", "..")


def tree(source_root, share_root):
    """data_files entries that install every file under source_root, keeping its folders."""
    entries = {}
    for path in glob(os.path.join(source_root, "**", "*"), recursive=True):
        if os.path.isfile(path):
            relative = os.path.relpath(os.path.dirname(path), source_root)
            entries.setdefault(os.path.normpath(os.path.join(share_root, relative)), []).append(path)
    return sorted(entries.items())


setup(
    name=package_name,
    version="0.1.0",
    packages=find_packages(exclude=["test"]),
    package_data={package_name: ["tracks/data/*.npy"]},
    data_files=[
        ("share/ament_index/resource_index/packages", ["resource/" + package_name]),
        ("share/" + package_name, ["package.xml"]),
        *tree(os.path.join(REPO, "worlds"), os.path.join("share", package_name, "worlds")),
    ],
    install_requires=["setuptools"],
    zip_safe=False,
    maintainer="DeepRacer ROS maintainers",
    maintainer_email="maintainers@deepracer-ros.dev",
    description="Embedded DeepRacer simulator and its ROS 2 node.",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "sim_node = deepracer_sim.nodes.sim_node:main",
            "gazebo_bridge_node = deepracer_sim.nodes.gazebo_bridge_node:main",
        ],
    },
)
