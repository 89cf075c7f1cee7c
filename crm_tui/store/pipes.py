"""Pickled messages between a bulk load and its helper process, through a pipe.

Each message is its pickle's length (8 bytes, little-endian) and the pickle; the
reader sees the end of the pipe, or a message cut short by a dying writer, as None.
"""

from __future__ import annotations

import pickle
from typing import IO, Any


def send_message(pipe: IO[bytes], message: Any) -> None:
    data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
    pipe.write(len(data).to_bytes(8, "little"))
    pipe.write(data)
    pipe.flush()


def receive_message(pipe: IO[bytes]) -> Any | None:
    """The next message, or None when the pipe has ended (halfway through one or before)."""
    head = pipe.read(8)
    if len(head) < 8:
        return None
    size = int.from_bytes(head, "little")
    data = pipe.read(size)
    return pickle.loads(data) if data and len(data) == size else None
