from setuptools import find_packages, setup

package_name = "deepracer_control"

setup(
    name=package_name,
    version="0.1.0",
    packages=find_packages(exclude=["test"]),
    data_files=[
        ("share/ament_index/resource_index/packages", ["resource/" + package_name]),
        ("share/" + package_name, ["package.xml"]),
    ],
    install_requires=["setuptools"],
    zip_safe=True,
    maintainer="DeepRacer ROS maintainers",
    maintainer_email="maintainers@deepracer-ros.dev",
    description="Maps DeepRacer actions to the physical car's servo topic.",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "control_node = deepracer_control.nodes.control_node:main",
        ],
    },
)
