import os
from glob import glob

from setuptools import find_packages, setup

package_name = "deepracer_bringup"
REPO = os.path.join("..", "..")
LAUNCH = glob(os.path.join(REPO, "launch", "*.launch.py"))
CONFIG = glob(os.path.join(REPO, "config", "*"))

setup(
    name=package_name,
    version="0.1.0",
    packages=find_packages(exclude=["test"]),
    data_files=[
        ("share/ament_index/resource_index/packages", ["resource/" + package_name]),
        ("share/" + package_name, ["package.xml"]),
        # The launch files, parameter files and RViz config live at the repository root (launch/, config/)
        # and are installed here, where `ros2 launch deepracer_bringup ...` finds them.
        (os.path.join("share", package_name, "launch"), LAUNCH),
        (os.path.join("share", package_name, "config"), CONFIG),
    ],
    install_requires=["setuptools"],
    zip_safe=False,
    maintainer="DeepRacer ROS maintainers",
    maintainer_email="maintainers@deepracer-ros.dev",
    description="Starts the DeepRacer stack: launch files, parameter files, scenarios, `deepracer sim up` and the "
                "`deepracer` command line.",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "deepracer = deepracer_bringup.cli:main",
        ],
    },
)
