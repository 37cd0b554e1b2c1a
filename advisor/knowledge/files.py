"""Reading the files a rule base is made of, safely: regular files only, bounded, in their folder.

Rule files, kb pages and cache entries may come from other people (an organisation's pack, a
restored CI cache). Whatever they hold, reading one must not hang (a FIFO, a device such as
/dev/zero), grow without bound (a huge file), or leave the folder it was named in (a symbolic
link to ~/.ssh/...). `read_bytes` enforces all three and raises `Unreadable` with a reason the
caller turns into its own error (naming the file, the place and the fix).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_FILE_BYTES = 4 * 1024 * 1024
"""The largest rule file, kb page or answers file read (4 MiB); the shipped files are < 40 KiB."""


class Unreadable(Exception):
    """A file that may not be read; the message says why, in words."""


def read_bytes(path: Path, *, inside: Path | None = None, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes.

    `inside`: the folder the file must stay in once symbolic links are resolved (a link to a
    file elsewhere is refused; a link within the folder is fine).
    """
    if inside is not None:
        try:
            real = path.resolve(strict=True)
            folder = inside.resolve(strict=True)
        except (OSError, RuntimeError) as exc:
            raise Unreadable(f"cannot read the file ({_reason(exc)})") from None
        if not real.is_relative_to(folder):
            raise Unreadable(
                f"it is a link to {real}, outside {inside}: files must stay in their folder"
            )
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise Unreadable(f"cannot read the file ({_reason(exc)})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            if stat.S_ISDIR(info.st_mode):
                raise Unreadable("it is a folder, not a file")
            raise Unreadable("it is not a regular file (a pipe, device or socket cannot be read)")
        if info.st_size > limit:
            raise Unreadable(f"it is {info.st_size:,} bytes, more than the limit of {limit:,}")
        chunks = []
        total = 0
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:  # grew while being read
                raise Unreadable(f"it is more than the limit of {limit:,} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise Unreadable(f"cannot read the file ({_reason(exc)})") from None
    finally:
        os.close(fd)


def read_text(path: Path, *, inside: Path | None = None, limit: int = MAX_FILE_BYTES) -> str:
    """`read_bytes` decoded as strict UTF-8 (a leading byte-order mark is dropped)."""
    data = read_bytes(path, inside=inside, limit=limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"not valid UTF-8 at byte {exc.start}") from None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)
