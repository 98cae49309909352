"""Atomic writes for the agent: torch objects, on top of the project's one atomic writer.

Text, bytes and JSON come from deepracer_control.atomic (re-exported here for the agent's modules).
"""
from __future__ import annotations

import io
import os
from typing import Any

from deepracer_control.atomic import write_bytes_atomic, write_json_atomic, write_text_atomic, write_with_atomic

__all__ = ["write_json_atomic", "write_text_atomic", "write_bytes_atomic", "torch_save_atomic", "write_with_atomic"]


def torch_save_atomic(path: str | os.PathLike, obj: Any) -> None:
    import torch

    buffer = io.BytesIO()
    torch.save(obj, buffer)
    write_bytes_atomic(path, buffer.getvalue())
