"""Writing what the user asked for: standard output, or a file they named.

Every front end writes through here (the command line's `--output`, the questionnaire's saved
answers and decision record), so a failure reads the same everywhere: an `OutputError` naming the
file, which the CLI reports with exit code 2.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path


def write_output(text: str, output: str | None) -> None:
    """Print to stdout, or write the file (its folder is created) and say where."""
    text = text if text.endswith("\n") else text + "\n"
    if output is None or output == "-":
        from advisor.render.terminal import visible

        sys.stdout.write(visible(text))  # no escape sequence from a pack reaches the terminal
        return
    if not output.strip():
        from advisor.errors import OutputError

        raise OutputError(
            repr(output), "an empty file name; name the file to write, or - for stdout"
        )
    write_file(Path(output), text)
    print(f"advisor: wrote {output}", file=sys.stderr)


def write_file(path: Path, text: str) -> None:
    """Write a file the user named, atomically (creating its folder); a failure is their input to
    fix (OutputError).

    Every file the advisor writes (records, answers, the questionnaire's partial answers) goes
    through here. The text is written to a temporary file beside the target (`.NAME.*.tmp`),
    flushed and fsynced, given the permission bits of the file it replaces (a new file gets
    0o666 & ~umask, as with a plain open), then renamed onto the target, and the folder is
    fsynced where the system allows. So kill -9, Ctrl-C or a full disk leaves the old file or the
    new one, never a truncated one; on any failure the temporary file is removed. A symbolic link
    is kept: the file it points to is replaced. A device, FIFO or socket at the path is refused:
    renaming over it would destroy it.
    """
    import errno
    import tempfile

    from advisor.errors import OutputError

    if path.is_dir():
        raise OutputError(str(path), "it is a folder")
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        reason = f"the text is not valid Unicode (character {exc.start + 1} is a lone surrogate)"
        raise OutputError(str(path), reason) from None
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    if target.exists() and not target.is_file():  # a device or FIFO is never replaced
        raise OutputError(
            str(path),
            "it is not a regular file (a device, pipe or socket), which a write would destroy",
        )
    blocked = _file_in_the_way(target.parent)
    if blocked is not None:
        raise OutputError(str(path), f"its folder {blocked} is a file")
    temporary: str | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() and not os.access(target, os.W_OK):  # refused, as by a plain open
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        mode = _mode_for(target)
        handle, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name[:64]}.", suffix=".tmp"
        )
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(handle, view) :]
            os.chmod(temporary, mode)
            os.fsync(handle)
        finally:
            os.close(handle)
        os.replace(temporary, target)
        temporary = None
    except OSError as exc:
        raise OutputError(str(path), exc.strerror or str(exc)) from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
    _fsync_folder(target.parent)


def _file_in_the_way(folder: Path) -> Path | None:
    """The nearest existing ancestor of `folder` (itself included) when it is not a folder: the
    folder cannot be created, and "File exists" would not say why."""
    for candidate in (folder, *folder.parents):
        try:
            exists = candidate.exists()
        except OSError:
            return None
        if exists:
            return None if candidate.is_dir() else candidate
    return None


def _mode_for(target: Path) -> int:
    """The permission bits the written file gets: those of the file it replaces, else the
    default of a new file (0o666 less the umask)."""
    import stat

    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        umask = os.umask(0o022)  # reading the umask means setting it; restored at once
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable where the system allows fsyncing a folder (not Windows)."""
    try:
        handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(handle)
    finally:
        os.close(handle)
