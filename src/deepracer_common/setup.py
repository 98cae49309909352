from setuptools import find_packages, setup

package_name = "deepracer_common"

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
    description="What every DeepRacer package shares: action spaces, model metadata and model files, sensor "
                "geometry and observations, race settings, the servo mapping, atomic writes; ros/ for the nodes.",
    license="Apache-2.0",
)
