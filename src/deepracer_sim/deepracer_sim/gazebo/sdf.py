"""Small helpers for writing SDF with ElementTree, and for writing files atomically."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from deepracer_common.atomic import write_bytes_atomic

# libsdformat 12 (Debian 12) reads up to SDF 1.9 and Gazebo Harmonic (libsdformat 14) reads it
# too, so one version serves the parser we can run here and the simulator users run.
SDF_VERSION = "1.9"


def fmt(value) -> str:
    """SDF text for a number, bool, or sequence of numbers (space separated, no float noise)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return " ".join(fmt(v) for v in value)
    if isinstance(value, float):
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    return str(value)


def sub(parent: ET.Element, tag: str, text=None, **attributes) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: str(v) for k, v in attributes.items()})
    if text is not None:
        element.text = fmt(text)
    return element


def pose(parent: ET.Element, xyz=(0.0, 0.0, 0.0), rpy=(0.0, 0.0, 0.0)) -> ET.Element:
    return sub(parent, "pose", tuple(float(v) for v in (*xyz, *rpy)))


def material(parent: ET.Element, rgb255: tuple[int, int, int], alpha: float = 1.0) -> ET.Element:
    """Matte material with the renderer's sRGB colour, so Gazebo shows what our camera draws."""
    rgba = tuple(round(c / 255.0, 4) for c in rgb255) + (alpha,)
    element = sub(parent, "material")
    sub(element, "ambient", rgba)
    sub(element, "diffuse", rgba)
    sub(element, "specular", (0.05, 0.05, 0.05, 1.0))
    return element


def document(root_child: ET.Element) -> bytes:
    """A complete SDF file around one <world> or <model> element."""
    sdf = ET.Element("sdf", {"version": SDF_VERSION})
    sdf.append(root_child)
    ET.indent(sdf, space="  ")
    return b'<?xml version="1.0"?>\n' + ET.tostring(sdf, encoding="utf-8") + b"\n"


def comment(parent: ET.Element, text: str) -> None:
    parent.append(ET.Comment(f" {text} "))


def write_atomic(path: Path, data: bytes) -> bool:
    """Write `data` to `path` through a temporary file; returns False when the file already held it."""
    path = Path(path)
    if path.exists() and path.read_bytes() == data:
        return False
    write_bytes_atomic(path, data)
    return True
