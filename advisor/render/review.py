"""Renders a Review (`services.review`) as text, JSON, markdown, SARIF 2.1.0 or GitHub workflow
annotations.

SARIF: one run of the `llm-advisor` driver; `tool.driver.rules[]` lists every finding id with
its help link (the first kb section it cites, under the kb base URL); each result has a stable
`ruleId`, `partialFingerprints` (a hash of the id and the answer it concerns, so a finding keeps
its identity across runs) and a location in the answers file: the line of the answer concerned
(a TOML `key =` or JSON `"key":` line), else line 1.
"""

from __future__ import annotations

import hashlib
import json
import re
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from advisor.analysis.models import Review, ReviewFinding

FORMATS = ("text", "json", "markdown", "sarif", "github")
WIDTH = 80
_LEVELS = {"high": "error", "medium": "warning", "low": "note", "info": "note"}
_ANNOTATIONS = {"high": "error", "medium": "warning", "low": "notice", "info": "notice"}
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def answer_lines(text: str) -> dict[str, int]:
    """Line (1-based) of each top-level answer key in a TOML or JSON answers file."""
    found: dict[str, int] = {}
    pattern = re.compile(r'^\s*"?([A-Za-z_][A-Za-z0-9_]*)"?\s*[=:]')
    inside: str | None = None  # the delimiter of the TOML multi-line string being read
    for number, line in enumerate(text.splitlines(), start=1):
        if inside is None:
            match = pattern.match(line)
            if match and match.group(1) not in found:
                found[match.group(1)] = number
        for delimiter in ('"""', "'''"):  # a key-like line inside `notes = """..."""` is text
            if inside in (None, delimiter) and line.count(delimiter) % 2 == 1:
                inside = None if inside == delimiter else delimiter
    return found


def render(
    data: Review,
    fmt: str,
    *,
    answers_path: str | None = None,
    answers_text: str = "",
    kb_base_url: str | None = None,
    kb_dir: Path | None = None,
) -> str:
    lines = answer_lines(answers_text)
    if fmt == "json":
        return data.model_dump_json(indent=2)
    if fmt == "sarif":
        return json.dumps(
            _sarif(data, answers_path or "answers", lines, kb_base_url, kb_dir), indent=2
        )
    if fmt == "github":
        return _github(data, answers_path or "answers", lines)
    if fmt == "markdown":
        return _markdown(data)
    return _text(data)


def _text(data: Review) -> str:
    out = [
        f"Review of the proposal: {', '.join(data.proposal)}",
        f"The advice: {', '.join(data.advised)}",
        "",
    ]
    if not data.findings:
        out.append("No difference: the proposal matches the advice.")
    for finding in data.findings:
        out += textwrap.wrap(
            f"[{finding.severity.upper()}] {finding.id}: {finding.message}",
            WIDTH,
            subsequent_indent="    ",
            break_on_hyphens=False,
        )
        out += textwrap.wrap(
            f"fix: {finding.improvement}",
            WIDTH,
            initial_indent="    ",
            subsequent_indent="      ",
            break_on_hyphens=False,
        )
        if finding.citations:
            out.append(f"    kb: {', '.join(finding.citations)}")
    return "\n".join(out) + "\n"


def _markdown(data: Review) -> str:
    out = [
        "# Review of the proposed approach",
        "",
        f"- Proposal: {', '.join(data.proposal)}",
        f"- Advice: {', '.join(data.advised)}",
        "",
    ]
    if not data.findings:
        out.append("No difference: the proposal matches the advice.")
    for finding in data.findings:
        out.append(f"## {finding.severity.upper()}: `{finding.id}`")
        out.append("")
        out.append(_md(finding.message))
        out.append("")
        out.append(f"**Fix:** {_md(finding.improvement)}")
        if finding.citations:
            out.append("")
            out.append("Sources: " + ", ".join(f"[{c}]({c})" for c in finding.citations))
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _md(text: str) -> str:
    return "".join("\\" + c if c in "\\`*_[]<>#|!" else c for c in text)


def _uri(path: str) -> str:
    """A relative path as a URI reference: every character outside the unreserved set and `/`
    percent-encoded (spaces, `%`, `#`, `?`, newlines, non-ASCII), as SARIF readers expect."""
    from urllib.parse import quote

    return quote(Path(path).as_posix(), safe="/")


def _help_uri(finding: ReviewFinding, kb_base_url: str | None, kb_dir: Path | None) -> str | None:
    if not finding.citations:
        return None
    ref = finding.citations[0]
    path, _, anchor = ref.partition("#")
    name = path.removeprefix("kb/")
    if kb_base_url and re.match(r"^https?://", kb_base_url):
        return f"{kb_base_url}{name}#{anchor}"
    if kb_dir is not None:
        return f"{(kb_dir / name).resolve().as_uri()}#{anchor}"
    return None


def fingerprint(finding: ReviewFinding) -> str:
    return hashlib.sha256(f"{finding.id}\0{finding.question or ''}".encode()).hexdigest()[:32]


def _sarif(
    data: Review,
    path: str,
    lines: dict[str, int],
    kb_base_url: str | None,
    kb_dir: Path | None,
) -> dict[str, Any]:
    from advisor._version import __version__

    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results = []
    for finding in data.findings:
        if finding.id not in index:
            index[finding.id] = len(rules)
            rule: dict[str, Any] = {
                "id": finding.id,
                "name": finding.id.replace(".", "_"),
                "shortDescription": {"text": finding.id},
                "fullDescription": {"text": finding.message},
                "help": {"text": finding.improvement},
                "defaultConfiguration": {"level": _LEVELS[finding.severity]},
                "properties": {"tags": ["llm-advisor", "review"]},
            }
            help_uri = _help_uri(finding, kb_base_url, kb_dir)
            if help_uri:
                rule["helpUri"] = help_uri
            rules.append(rule)
        line = lines.get(finding.question or "", 1)
        results.append(
            {
                "ruleId": finding.id,
                "ruleIndex": index[finding.id],
                "level": _LEVELS[finding.severity],
                "message": {"text": f"{finding.message} Fix: {finding.improvement}"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": _uri(path)},
                            "region": {"startLine": line},
                        }
                    }
                ],
                "partialFingerprints": {"llmAdvisorFinding/v1": fingerprint(finding)},
                "properties": {
                    "severity": finding.severity,
                    "citations": list(finding.citations),
                    "rules": list(finding.rules),
                },
            }
        )
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "llm-advisor",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github(data: Review, path: str, lines: dict[str, int]) -> str:
    out = []
    for finding in data.findings:
        line = lines.get(finding.question or "", 1)
        props = ",".join(
            [
                f"file={_escape_property(Path(path).as_posix())}",
                f"line={line}",
                f"title={_escape_property(finding.id)}",
            ]
        )
        message = f"{finding.message} Fix: {finding.improvement}"
        out.append(f"::{_ANNOTATIONS[finding.severity]} {props}::{_escape_data(message)}")
    if not out:
        return ""
    return "\n".join(out) + "\n"
