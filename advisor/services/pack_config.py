"""Which rule packs are in force: `--pack` > `$ADVISOR_PACKS` > `./pyproject.toml`.

The first of the three that names any pack wins, whole (they are not merged):
- the command line's `--pack DIR`, repeatable, applied in the order given;
- the `ADVISOR_PACKS` environment variable, folders separated by `os.pathsep` (`:`; `;` on
  Windows); set it to the empty string to turn off the packs of a pyproject.toml;
- `packs = ["dir", ...]` in the `[tool.llm-advisor]` table of `pyproject.toml` in the current
  folder, each path relative to that file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from advisor.errors import RuleFileError
from advisor.knowledge.files import DataError, Unreadable, parse_toml, read_bytes, read_text

ENV = "ADVISOR_PACKS"
PYPROJECT = "pyproject.toml"


@dataclass(frozen=True)
class PackSelection:
    """The pack folders in force and where they were named ("--pack", the variable, a file)."""

    folders: list[str]
    origin: str


def packs_in_force(
    cli: list[str] | None, environ: dict[str, str] | None = None, cwd: Path | None = None
) -> PackSelection:
    """The packs named by the command line, else the environment, else ./pyproject.toml."""
    env = os.environ if environ is None else environ
    if cli:
        return PackSelection(list(cli), "--pack")
    if ENV in env:
        return PackSelection([p for p in env[ENV].split(os.pathsep) if p], f"${ENV}")
    folder = Path(".") if cwd is None else cwd
    return PackSelection(pyproject_packs(folder / PYPROJECT), PYPROJECT)


_MAY_NAME_PACKS = (
    r"""["']?tool["']?\s*\.\s*["']?llm-advisor"""  # [tool.llm-advisor], tool."llm-advisor".packs
    r"""|^\s*\[\s*["']?tool["']?\s*\]"""  # [tool], then llm-advisor.packs = ...
    r"""|^\s*["']?tool["']?\s*="""  # tool = { llm-advisor = {...} }
)
"""What a pyproject.toml that can hold `[tool.llm-advisor]` contains: a `tool.llm-advisor`
key (bare or quoted, in a header or a dotted key), a `[tool]` table or a `tool =` key."""


def pyproject_packs(path: Path) -> list[str]:
    """`[tool.llm-advisor] packs` of a pyproject.toml (paths made relative to the current
    folder's view of that file), or [] when it has none or there is no such file. A file with
    no `tool.llm-advisor` key, no `[tool]` table and no `tool =` key cannot hold the table and
    is not parsed: most projects' pyproject.toml is not ours to read (nor to refuse when it
    is broken), and parsing a long one costs a visible part of a run's start-up."""
    if not path.is_file():
        return []
    import re

    problem: Unreadable | None = None
    try:
        text = read_text(path)
    except Unreadable as exc:  # not text: ours to refuse only if it may hold the table
        problem = exc
        try:
            text = read_bytes(path).decode("utf-8", errors="replace")
        except Unreadable:
            text = "tool = "  # unreadable as bytes too (too large, say): refuse it
    if not re.search(_MAY_NAME_PACKS, text, re.M):
        return []
    if problem is not None:
        raise RuleFileError(str(path), "", f"cannot read it ({problem}); fix the file")
    import tomllib  # only when the file may hold the table

    try:
        data = parse_toml(text)
    except (DataError, tomllib.TOMLDecodeError) as exc:
        raise RuleFileError(str(path), "", f"cannot read it ({exc}); fix the file") from None
    tool = data.get("tool", {})
    table = tool.get("llm-advisor", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise RuleFileError(str(path), "[tool.llm-advisor]", "must be a table")
    packs = table.get("packs", [])
    if not isinstance(packs, list) or not all(isinstance(p, str) and p for p in packs):
        raise RuleFileError(
            str(path),
            "[tool.llm-advisor] packs",
            'must be a list of pack folders, e.g. packs = ["policy/on-premises"]',
        )
    base = path.parent
    return [p if Path(p).is_absolute() else str(base / p) for p in packs]
