"""Point the ROS 2 wheels' CMake exports at this venv's Python and numpy include folders.

The wheels were built in a manylinux container, and their exported CMake targets (the
`*Export.cmake` files of every message package) list that container's folders, such as
/opt/python/cp311-cp311/include/python3.11, as INTERFACE_INCLUDE_DIRECTORIES. CMake refuses
to generate a build that links such a target while the folder does not exist, so building any
interface package that depends on std_msgs & co. fails. Rewriting the paths to the folders of
the venv's own interpreter fixes it without root. Idempotent: files already fixed are left alone.
"""
import re
import sys
import sysconfig
from pathlib import Path

import numpy

BUILD_PYTHON_INCLUDE = re.compile(r"/opt/python/cp3\d+-cp3\d+/include/python3\.\d+")
BUILD_NUMPY_INCLUDE = re.compile(r"/opt/python/cp3\d+-cp3\d+/lib/python3\.\d+/site-packages/numpy/_core/include")


def main(venv: str) -> int:
    python_include = sysconfig.get_paths()["include"]
    numpy_include = numpy.get_include()
    fixed = 0
    for cmake_file in Path(venv, "share").glob("*/cmake/*.cmake"):
        text = cmake_file.read_text()
        if "/opt/python/" not in text:
            continue
        new_text = BUILD_NUMPY_INCLUDE.sub(numpy_include, text)
        new_text = BUILD_PYTHON_INCLUDE.sub(python_include, new_text)
        if new_text != text:
            try:
                cmake_file.write_text(new_text)
            except OSError as error:
                print(f"cannot fix the ROS 2 wheel CMake file {cmake_file}: {error.strerror}; make the venv writable")
                return 1
            fixed += 1
    print(f"fixed {fixed} CMake export files (Python include {python_include}, numpy include {numpy_include})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
