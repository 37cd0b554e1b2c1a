"""Finds the shipped `rules/` and `kb/` folders, in an installed wheel or a source checkout.

The wheel carries them as `advisor/_data/rules` and `advisor/_data/kb` (see pyproject.toml);
an editable install or a plain checkout reads the top-level folders next to the package.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


def _find(name: str) -> Path:
    bundled = _PACKAGE / "_data" / name
    if bundled.is_dir():
        return bundled
    return _PACKAGE.parent / name


def rules_dir() -> Path:
    """The shipped rule base (questions, rules, ruleset metadata)."""
    return _find("rules")


def kb_dir() -> Path:
    """The shipped knowledge base (markdown pages cited by the rules)."""
    return _find("kb")
