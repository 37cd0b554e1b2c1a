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
from typing import Any

MAX_FILE_BYTES = 4 * 1024 * 1024
"""The largest rule file, kb page or answers file read (4 MiB); the shipped files are < 40 KiB."""


class Unreadable(Exception):
    """A file that may not be read; the message says why, in words."""


class TooLarge(Unreadable):
    """A file larger than the limit it is read with."""


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
            raise TooLarge(f"it is {info.st_size:,} bytes, more than the limit of {limit:,}")
        chunks = []
        total = 0
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:  # grew while being read
                raise TooLarge(f"it is more than the limit of {limit:,} bytes")
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


class DataError(ValueError):
    """JSON or TOML that cannot be used as data; the message says why, in words."""


MAX_DIGITS = 18
"""The longest integer read from an answers file or a record (numbers are times and counts)."""


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise DataError(f"a number of {len(text)} digits is too large (at most {MAX_DIGITS})")
    return int(text)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise DataError(f"the key {key!r} appears twice in one object")
        found[key] = value
    return found


def parse_json(text: str) -> Any:
    """JSON as data: a key given twice, a huge number or too deep nesting is a `DataError`
    (`json.JSONDecodeError` for a syntax error, as from `json.loads`)."""
    import json

    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_int=_json_int)
    except RecursionError:
        raise DataError("nested too deeply") from None


def parse_toml(text: str) -> dict[str, Any]:
    """TOML as data (`tomllib.TOMLDecodeError` for a syntax error); a huge number or too deep
    nesting is a `DataError`. TOML itself refuses a key given twice."""
    import tomllib

    check_toml_dots(text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        raise
    except RecursionError:
        raise DataError("nested too deeply") from None
    except ValueError:  # Python's limit on converting long digit strings
        raise DataError(f"a number is too large (at most {MAX_DIGITS} digits)") from None
    _check_toml_ints(data)
    return data


MAX_DOTS = 256
"""The most dots a TOML line may hold outside quoted strings: dotted keys nest a table per part,
and the parser's time grows with the square of their number (200,000 parts take minutes)."""
MAX_DOT_WORK = 1_000_000
"""The most the dotted parts of a whole TOML file may add up to, each line's count squared (the
parser keeps every prefix of a dotted key): 10,000 lines of 200 parts, each line within
`MAX_DOTS`, would take the parser 2 GB and 15 s; this allows about 25 such lines, and any
ordinary file by orders of magnitude."""


def check_toml_dots(text: str) -> None:
    """Refuse a line with more than `MAX_DOTS` dots outside strings, or a file whose lines' dots
    squared add up to more than `MAX_DOT_WORK`, before parsing."""
    if text.count(".") <= MAX_DOTS:
        return
    lines = text.splitlines()
    counts = [line.count(".") for line in lines]  # dots in strings too: an upper bound
    if max(counts) <= MAX_DOTS and sum(n * n for n in counts) <= MAX_DOT_WORK:
        return
    work = 0
    for number, (line, count) in enumerate(zip(lines, counts, strict=True), 1):
        if count == 0:
            continue
        dots = _dots_outside_strings(line) if count > 1 else count
        if dots > MAX_DOTS:
            raise DataError(
                f"line {number} nests keys too deeply (more than {MAX_DOTS} dotted parts)"
            )
        work += dots * dots
        if work > MAX_DOT_WORK:
            raise DataError(
                f"line {number}: the file's dotted keys nest too deeply in all (each line's "
                f"dotted parts squared add up to more than {MAX_DOT_WORK:,}); write [tables] "
                "instead of long dotted keys"
            )


def _dots_outside_strings(line: str) -> int:
    """The dots of a line that are not inside a quoted string (a comment ends the count)."""
    dots = 0
    quote = ""
    escaped = False
    for char in line:
        if quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote == '"':
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            break
        elif char == ".":
            dots += 1
    return dots


def _check_toml_ints(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) >= 10**MAX_DIGITS:
            raise DataError(
                f"the number {str(item)[:12]}... is too large (at most {MAX_DIGITS} digits)"
            )
