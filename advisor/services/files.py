"""Writing what the user asked for: standard output, or a file they named.

Every front end writes through here (the command line's `--output`, the questionnaire's saved
answers and decision record), so a failure reads the same everywhere: an `OutputError` naming the
file, which the CLI reports with exit code 2.
"""

from __future__ import annotations

import sys
from pathlib import Path


def write_output(text: str, output: str | None) -> None:
    """Print to stdout, or write the file (its folder is created) and say where."""
    text = text if text.endswith("\n") else text + "\n"
    if output is None or output == "-":
        sys.stdout.write(text)
        return
    write_file(Path(output), text)
    print(f"advisor: wrote {output}", file=sys.stderr)


def write_file(path: Path, text: str) -> None:
    """Write a file the user named (creating its folder); a failure is their input to fix."""
    from advisor.errors import OutputError

    if path.is_dir():
        raise OutputError(str(path), "it is a folder")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(str(path), exc.strerror or str(exc)) from None
