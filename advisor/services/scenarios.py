"""Scenario files: answers in, expected advice out; checked against the rules in force.

One TOML file per case, the format of the project's own `tests/scenarios/` (and of a rule pack's
`scenarios/`): `description`, `source` (a public https link the case is drawn from), `[answers]`
and `[expect]`. Expected lists are exact (`techniques`, `tactics`, `retrievers`, `purposes`,
`methods`, `evaluation`, `dropped_stages`, `findings`); `findings_include` / `findings_exclude`
check part of the findings; `reranker` and `latency_fits` are true/false; `cites` lists kb
sections that must be among the citations. A misspelt key is an error, never a silent pass.
`advisor test` and the project's test suite both run scenarios through `check_scenario`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.errors import AnswersError, RuleFileError
from advisor.knowledge.answers import cut

if TYPE_CHECKING:
    from advisor.knowledge.rulebase import RuleBase

TOP_KEYS = frozenset({"description", "source", "answers", "expect"})
LIST_KEYS = (
    "techniques",
    "tactics",
    "retrievers",
    "purposes",
    "methods",
    "evaluation",
    "dropped_stages",
    "findings",
    "findings_include",
    "findings_exclude",
    "cites",
)
FLAG_KEYS = ("reranker", "latency_fits")
EXPECT_KEYS = frozenset(LIST_KEYS + FLAG_KEYS)


class ScenarioError(RuleFileError):
    """A scenario file that cannot be used (exit 2): names the file, the place and the fix."""


@dataclass(frozen=True)
class Scenario:
    path: Path
    description: str
    source: str
    answers: dict[str, Any]
    expect: dict[str, Any]


@dataclass(frozen=True)
class Mismatch:
    """One expectation the outcome does not meet: what was expected and what came out."""

    key: str
    expected: Any
    got: Any
    note: str = ""

    def lines(self) -> list[str]:
        """A readable diff: `- expected` and `+ got`, item by item for lists."""
        head = f"  {self.key}:" + (f" {self.note}" if self.note else "")
        if isinstance(self.expected, list) and isinstance(self.got, list):
            missing = [v for v in self.expected if v not in self.got]
            extra = [v for v in self.got if v not in self.expected]
            out = [head]
            out += [f"    - {v}    (expected, missing)" for v in missing]
            out += [f"    + {v}    (not expected)" for v in extra]
            if not missing and not extra:  # same items, another order
                out += [f"    - {self.expected}    (expected order)", f"    + {self.got}"]
            return out
        return [head, f"    - {_show(self.expected)}    (expected)", f"    + {_show(self.got)}"]


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    return str(value)


def load_scenario(path: Path | str) -> Scenario:
    """Read one scenario and check its shape (a ScenarioError names the key and the fix)."""
    import tomllib

    from advisor.knowledge.files import DataError, Unreadable, parse_toml, read_text

    file = Path(path)
    name = str(file)

    def fail(message: str, where: str = "") -> ScenarioError:
        return ScenarioError(name, where, message)

    try:
        data = parse_toml(read_text(file))
    except Unreadable as exc:
        raise fail(f"{exc}; name a scenario file") from None
    except (tomllib.TOMLDecodeError, DataError) as exc:
        raise fail(f"not valid TOML: {exc}") from None
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise fail(f"unknown key(s) {sorted(unknown)}; allowed {sorted(TOP_KEYS)}")
    missing = TOP_KEYS - set(data)
    if missing:
        raise fail(f"missing key(s) {sorted(missing)}")
    if not isinstance(data["description"], str) or not data["description"].strip():
        raise fail("'description' must say what the case is", "description")
    if not isinstance(data["source"], str) or not data["source"].startswith("https://"):
        raise fail("'source' must be a public https link the case is drawn from", "source")
    answers, expect = data["answers"], data["expect"]
    if not isinstance(answers, dict):
        raise fail("write the answers as an [answers] table", "answers")
    if not isinstance(expect, dict):
        raise fail("write the expected advice as an [expect] table", "expect")
    unknown = set(expect) - EXPECT_KEYS
    if unknown:
        raise fail(
            f"unknown [expect] key(s) {sorted(unknown)}; allowed {sorted(EXPECT_KEYS)}", "[expect]"
        )
    if "techniques" not in expect:
        raise fail("[expect] needs 'techniques'", "[expect]")
    if not expect.get("cites"):
        raise fail("[expect] needs at least one 'cites' entry", "[expect]")
    for key in LIST_KEYS:
        value = expect.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(f"[expect] {key} must be a list of strings", f"[expect] {key}")
    for key in FLAG_KEYS:
        if key in expect and not isinstance(expect[key], bool):
            raise fail(f"[expect] {key} is true/false", f"[expect] {key}")
    from advisor.knowledge.kb import split_ref

    for ref in expect["cites"]:
        if split_ref(ref) is None:  # a wrong form is a malformed file, not a failed check
            raise fail(
                f"'{cut(ref)}' is not a kb section: write kb/<file>.md#<anchor>", "[expect] cites"
            )
    for stage in expect.get("dropped_stages", []):
        if not stage.isidentifier() or not stage.islower():
            raise fail(
                f"'{cut(stage)}' is not a stage id (lower_snake_case, as in latency.toml)",
                "[expect] dropped_stages",
            )
    return Scenario(file, data["description"], data["source"], answers, expect)


def outcome(scenario: Scenario, rulebase: RuleBase) -> dict[str, Any]:
    """The recommendation for the scenario's answers, as plain data (`engine.assemble.plain`);
    answers that do not fit the questions are a ScenarioError."""
    from advisor.engine.assemble import plain
    from advisor.engine.decide import decide

    try:
        return plain(decide(scenario.answers, rulebase))
    except AnswersError as exc:
        raise ScenarioError(
            str(scenario.path),
            "[answers]",
            f"{exc} (fix the answers, or run it with the packs whose questions it answers)",
        ) from None


def citations(data: dict[str, Any]) -> list[str]:
    """Every kb section the plans' reasons and the findings cite."""
    refs = [c for f in data["findings"] for c in f["citations"]]
    for plan in ("prompt_engineering", "rag", "fine_tuning", "evaluation"):
        part = data.get(plan)
        if part is not None:
            refs += [c for item in part["rationale"] for c in item["citations"]]
    return refs


def check_scenario(scenario: Scenario, rulebase: RuleBase) -> list[Mismatch]:
    """The expectations the rules in force do not meet (empty: the scenario passes)."""
    data = outcome(scenario, rulebase)
    expect = scenario.expect
    rag, tuning, latency = data.get("rag"), data.get("fine_tuning"), data.get("latency")
    got: dict[str, Any] = {
        "techniques": list(data["techniques"]),
        "tactics": list(data["prompt_engineering"]["tactics"]),
        "retrievers": list(rag["retrievers"]) if rag else [],
        "reranker": bool(rag["reranker"]) if rag else None,
        "purposes": list(tuning["purposes"]) if tuning else [],
        "methods": list(tuning["methods"]) if tuning else [],
        "evaluation": list(data["evaluation"]["methods"]),
        "dropped_stages": [s["id"] for s in latency["dropped"]] if latency else [],
        "latency_fits": latency["fits"] if latency else None,
    }
    findings = [f["id"] for f in data["findings"]]
    found: list[Mismatch] = []
    for key in (*LIST_KEYS[:7], *FLAG_KEYS):
        if key in expect and got[key] != expect[key]:
            found.append(Mismatch(key, expect[key], got[key]))
    if "findings" in expect and set(findings) != set(expect["findings"]):
        found.append(Mismatch("findings", expect["findings"], findings))
    absent = [f for f in expect.get("findings_include", []) if f not in findings]
    if absent:
        found.append(Mismatch("findings_include", absent, [], "not raised"))
    present = [f for f in expect.get("findings_exclude", []) if f in findings]
    if present:
        found.append(Mismatch("findings_exclude", [], present, "raised"))
    cited = citations(data)
    unknown = [ref for ref in expect["cites"] if ref not in rulebase.kb]
    if unknown:
        found.append(Mismatch("cites", unknown, [], "no such kb section in the rules in force"))
    uncited = [ref for ref in expect["cites"] if ref in rulebase.kb and ref not in cited]
    if uncited:
        found.append(Mismatch("cites", uncited, [], "not cited"))
    return found


def scenario_files(paths: Iterable[Path | str]) -> list[Path]:
    """Files named directly, and `*.toml` under folders (recursively, sorted)."""
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.toml") if p.is_file())
        else:
            files.append(path)
    return list(dict.fromkeys(files))


def report(scenario: Scenario, mismatches: Sequence[Mismatch]) -> list[str]:
    """The lines `advisor test` prints for a failing scenario."""
    lines = [f"{scenario.path}: FAIL: {scenario.description}"]
    for mismatch in mismatches:
        lines += mismatch.lines()
    return lines
