import os
from glob import glob

from setuptools import find_packages, setup

package_name = "deepracer_agent"
REPO = os.path.join("..", "..")

setup(
    name=package_name,
    version="0.1.0",
    packages=find_packages(exclude=["test"]),
    package_data={package_name: ["templates/*.py", "configs/*.json", "configs/*.yaml"]},
    data_files=[
        ("share/ament_index/resource_index/packages", ["resource/" + package_name]),
        ("share/" + package_name, ["package.xml"]),
        # The launch files belong to deepracer_bringup; they are installed here as well so that
        # `ros2 launch deepracer_agent ...`, the command earlier releases documented, keeps working.
        (os.path.join("share", package_name, "launch"), glob(os.path.join(REPO, "launch", "*.launch.py"))),
        (os.path.join("share", package_name, "config"), glob(os.path.join(REPO, "config", "*"))),
    ],
    install_requires=["setuptools"],
    zip_safe=False,
    maintainer="DeepRacer ROS maintainers",
    maintainer_email="maintainers@deepracer-ros.dev",
    description="DeepRacer agent: garage, PPO training, models, evaluation, log analysis and the agent node.",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "agent_node = deepracer_agent.nodes.agent_node:main",
        ],
    },
)
