"""Atomic file writes: a reader (or a run killed with SIGKILL) sees the old file or the new one, never half.

Temp file in the same folder + fsync + os.replace + fsync of the folder, for text, bytes, JSON and
torch objects. Files get the permissions a plain open() would give them (0666 minus the umask),
not mkstemp's private 0600, so a model folder can be shared and served like any other.
"""
from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

import json

__all__ = ["write_json_atomic", "write_text_atomic", "write_bytes_atomic", "torch_save_atomic", "write_with_atomic"]


def write_with_atomic(path: str | os.PathLike, write: Callable[[Any], None], binary: bool = True) -> None:
    """Create `path` by calling `write(stream)` on a temporary file in the same folder, then rename it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(handle, 0o666 & ~_umask())
        with os.fdopen(handle, "wb" if binary else "w", **({} if binary else {"newline": ""})) as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_json_atomic(path: str | os.PathLike, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2) + "\n")


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    write_with_atomic(path, lambda stream: stream.write(text), binary=False)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    write_with_atomic(path, lambda stream: stream.write(data), binary=True)


def torch_save_atomic(path: str | os.PathLike, obj: Any) -> None:
    import torch

    buffer = io.BytesIO()
    torch.save(obj, buffer)
    write_bytes_atomic(path, buffer.getvalue())


def _fsync_directory(folder: Path) -> None:
    # The rename itself must reach the disk, or a power cut could bring back the old name.
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
