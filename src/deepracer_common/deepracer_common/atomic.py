"""Atomic file writes: a reader, or a run killed with SIGKILL, sees the old file or the new one, never half.

Every file the stack writes (model metadata, checkpoints, sim-traces, metrics, plots, worlds) goes
through here: write a temporary file in the same folder, fsync it, rename it over the target, and
fsync the folder so the rename itself survives a power cut.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# mkstemp creates files only its owner can read; a model, route or world is meant to be shared like
# any file the user creates, so it gets the mode the user's umask gives a new file.
_NEW_FILE_MODE = 0o666 & ~_current_umask()


def write_with_atomic(path: str | os.PathLike, write: Callable[[Any], None], binary: bool = True) -> None:
    """Create `path` by calling `write(stream)` on a temporary file in the same folder, then rename it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb" if binary else "w", **({} if binary else {"newline": ""})) as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _NEW_FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    write_with_atomic(path, lambda stream: stream.write(text), binary=False)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    write_with_atomic(path, lambda stream: stream.write(data), binary=True)


def write_json_atomic(path: str | os.PathLike, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2) + "\n")


def torch_save_atomic(path: str | os.PathLike, obj: Any) -> None:
    """torch.save into a file that appears whole or not at all (checkpoints, training state)."""
    import io

    import torch  # imported here: the car's side of the stack reads and writes files without torch

    buffer = io.BytesIO()
    torch.save(obj, buffer)
    write_bytes_atomic(path, buffer.getvalue())


def _fsync_directory(folder: Path) -> None:
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
