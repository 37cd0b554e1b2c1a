"""Decision records through the real console script: `advisor check` and `--from-record`."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import ROOT, RunResult
from test_record import DATE, front_matter_map, parse_document, scenario

from advisor.knowledge.rulebase import RuleBase
from advisor.services.records import parse_record

Run = Callable[..., RunResult]
RECORD = "docs/decisions/0001-llm-approach.md"


def write_record(run_cli: Run, tmp_path: Path, name: str = "support_bot") -> Path:
    """Generate a record with the CLI, as a team would, and return its path."""
    answers = tmp_path / f"{name}.json"
    answers.write_text(json.dumps(scenario(name)["answers"]), encoding="utf-8")
    base_url = scenario(name).get("kb_base_url")
    extra = ["--kb-base-url", base_url] if base_url else []
    result = run_cli("recommend", "--answers", str(answers), "--format", "markdown",
                     "--date", DATE, "--output", RECORD, *extra)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == f"advisor: wrote {RECORD}"
    return tmp_path / RECORD


def edit_block(path: Path, target: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Copy a record to `target` with its embedded JSON changed (as a hand edit would)."""
    text = path.read_text(encoding="utf-8")
    start = text.index("\n", text.index("<!-- llm-advisor:record")) + 1
    end = text.rindex("-->")
    data = json.loads(text[start:end])
    change(data)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        text[:start] + json.dumps(data, indent=2) + "\n" + text[end:], encoding="utf-8"
    )


def test_check_reports_current_stale_and_skipped_files(run_cli: Run, tmp_path: Path) -> None:
    record = write_record(run_cli, tmp_path)
    current = run_cli("check", "docs")
    assert current.returncode == 0, current.stderr
    assert current.stdout.splitlines()[0].startswith(f"{RECORD}: current")

    folder = record.parent
    edit_block(record, folder / "0002-answers-edited.md",
               lambda d: d["answers"].update(knowledge="general"))  # fmt: skip
    edit_block(record, folder / "nested" / "0003-outcome-edited.md",
               lambda d: d["outcome"]["techniques"].remove("rag"))  # fmt: skip
    (folder / "README.md").write_text("# Decisions\n\nOne file per decision.\n", encoding="utf-8")
    hidden = tmp_path / "docs" / ".drafts" / "broken.md"
    hidden.parent.mkdir()
    hidden.write_text("<!-- llm-advisor:record\n{\n-->\n", encoding="utf-8")  # ignored: hidden

    stale = run_cli("check", "docs")
    assert stale.returncode == 1, stale.stderr
    report = stale.stdout
    assert f"{RECORD}: current" in report
    assert "docs/decisions/0002-answers-edited.md: stale" in report
    assert "  techniques: removed rag" in report
    assert "docs/decisions/nested/0003-outcome-edited.md: stale" in report
    assert "  techniques: added rag" in report
    assert (
        "regenerate: advisor recommend --from-record docs/decisions/0002-answers-edited.md"
        in report
    )
    assert "docs/decisions/README.md: skipped (not an llm-advisor record)" in report
    assert ".drafts" not in report + stale.stderr
    assert report.splitlines()[-1] == "3 records: 1 current, 2 stale, 0 unreadable; 1 file skipped"


def test_check_exits_2_on_a_corrupted_record_and_names_it(run_cli: Run, tmp_path: Path) -> None:
    record = write_record(run_cli, tmp_path)
    broken = record.with_name("0002-broken.md")
    text = record.read_text(encoding="utf-8")
    broken.write_text(text.replace('"answers": {', '"answers": {,', 1), encoding="utf-8")
    result = run_cli("check", "docs/decisions", "docs/missing.md")
    assert result.returncode == 2
    assert f"{RECORD}: current" in result.stdout
    errors = result.stderr.splitlines()
    assert errors[0] == "advisor: error: docs/missing.md: the path does not exist"
    assert errors[1].startswith("advisor: error: docs/decisions/0002-broken.md: line ")
    assert "not valid JSON" in errors[1] and "Traceback" not in result.stderr
    last = result.stdout.splitlines()[-1]
    assert last == "2 records: 1 current, 0 stale, 1 unreadable; 1 path missing"


def test_a_new_rules_version_with_the_same_advice_is_current(
    run_cli: Run, tmp_path: Path, rules_copy: tuple[Path, Path], rulebase: RuleBase
) -> None:
    rules, kb = rules_copy
    write_record(run_cli, tmp_path)
    ruleset = rules / "ruleset.toml"
    ruleset.write_text(
        ruleset.read_text(encoding="utf-8").replace(rulebase.version, "99.0.0"), encoding="utf-8"
    )
    bumped = run_cli("--rules", str(rules), "--kb", str(kb), "check", RECORD)
    assert bumped.returncode == 0, bumped.stdout + bumped.stderr
    assert f"{RECORD}: current (rules {rulebase.version} -> 99.0.0)" in bumped.stdout

    cite = next(iter(rulebase.kb))
    (rules / "zz_extra.toml").write_text(
        '[[rule]]\nid = "extra_rule"\nwhen = "true"\nthen = "finding:extra_check"\n'
        f'severity = "low"\nbecause = "An extra check."\ncite = ["{cite}"]\n',
        encoding="utf-8",
    )
    changed = run_cli("--rules", str(rules), "--kb", str(kb), "check", RECORD)
    assert changed.returncode == 1, changed.stdout + changed.stderr
    assert "  findings: added extra_check (low)" in changed.stdout
    assert (
        f"regenerate: advisor --rules {rules} --kb {kb} recommend --from-record" in changed.stdout
    )


def test_from_record_regenerates_the_record_and_keeps_the_team_s_front_matter(
    run_cli: Run, tmp_path: Path
) -> None:
    record = write_record(run_cli, tmp_path, "all_three")
    original = record.read_text(encoding="utf-8")
    same = run_cli("recommend", "--from-record", RECORD, "--format", "markdown", "--date", DATE)
    assert same.returncode == 0, same.stderr
    assert same.stdout == original

    record.write_text(
        original.replace("status: proposed\n", "status: accepted\ndecision-makers: [Ada, Linus]\n"),
        encoding="utf-8",
    )
    moved = run_cli("recommend", "--from-record", RECORD, "--format", "markdown",
                    "--set", "latency_budget_ms=200", "--output", RECORD,
                    env={"SOURCE_DATE_EPOCH": "1735689600"})  # fmt: skip
    assert moved.returncode == 0, moved.stderr
    text = record.read_text(encoding="utf-8")
    lines = parse_document(text).front_matter
    # the team's key stays where they put it; only the date's value changes, in place
    assert lines[:3] == ["status: accepted", "decision-makers: [Ada, Linus]", "date: 2025-01-01"]
    assert front_matter_map(lines[3:])["rules-version"]
    regenerated = parse_record(text, RECORD)
    assert regenerated is not None
    assert regenerated.answers["latency_budget_ms"] == 200
    assert regenerated.kb_base_url == scenario("all_three")["kb_base_url"]  # remembered


def test_from_record_gives_the_same_recommendation_as_the_answers(
    run_cli: Run, tmp_path: Path
) -> None:
    write_record(run_cli, tmp_path, "brand_voice")
    answers = tmp_path / "brand_voice.json"
    from_answers = run_cli("recommend", "--answers", str(answers), "--format", "json")
    from_record = run_cli("recommend", "--from-record", RECORD, "--format", "json")
    assert from_record.returncode == 0, from_record.stderr
    assert (
        json.loads(from_record.stdout)["techniques"]
        == json.loads(from_answers.stdout)["techniques"]
    )
    assert from_record.stdout == from_answers.stdout


def test_from_record_refuses_files_that_are_not_records(run_cli: Run, tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n", encoding="utf-8")
    result = run_cli("recommend", "--from-record", str(notes))
    assert result.returncode == 2
    assert result.stderr.startswith(f"advisor: error: {notes}: not an llm-advisor decision record")
    write_record(run_cli, tmp_path)
    both = run_cli("recommend", "--from-record", RECORD, "--answers", str(notes))
    assert both.returncode == 2
    assert "use either --answers or --from-record" in both.stderr


def test_bad_dates_and_urls_are_reported_without_a_traceback(run_cli: Run, tmp_path: Path) -> None:
    write_record(run_cli, tmp_path)
    epoch = run_cli("recommend", "--from-record", RECORD, "--format", "markdown",
                    env={"SOURCE_DATE_EPOCH": "tomorrow"})  # fmt: skip
    assert epoch.returncode == 2
    assert epoch.stderr.startswith("advisor: error: SOURCE_DATE_EPOCH: 'tomorrow'")
    url = run_cli("recommend", "--from-record", RECORD, "--format", "markdown",
                  "--kb-base-url", "https://x.example/(kb)/")  # fmt: skip
    assert url.returncode == 2
    assert url.stderr.startswith("advisor: error: --kb-base-url:")
    assert "Traceback" not in epoch.stderr + url.stderr


def test_closed_decisions_are_skipped_by_check(run_cli: Run, tmp_path: Path) -> None:
    record = write_record(run_cli, tmp_path)
    superseded = record.with_name("0000-old.md")
    shutil.copy(record, superseded)
    text = superseded.read_text(encoding="utf-8").replace("status: proposed", "status: deprecated")
    superseded.write_text(text.replace('"knowledge": "private_dynamic"', '"knowledge": "general"'))
    result = run_cli("check", "docs")
    assert result.returncode == 0, result.stdout
    assert "docs/decisions/0000-old.md: skipped (status: deprecated)" in result.stdout


def test_an_edited_answer_that_reaches_another_question_regenerates(
    run_cli: Run, tmp_path: Path
) -> None:
    """Answers the walk did not reach are kept in the record, so editing `behavior` to a style
    gap (which makes the walk ask `model_access`) regenerates instead of failing on a missing
    answer."""
    example = ROOT / "examples" / "support-bot.toml"
    made = run_cli("recommend", "--answers", str(example), "--format", "markdown",
                   "--date", DATE, "--output", RECORD)  # fmt: skip
    assert made.returncode == 0, made.stderr
    record = tmp_path / RECORD
    kept = parse_record(record.read_text(encoding="utf-8"), RECORD)
    assert kept is not None and kept.answers["model_access"] == "api"  # given, not reached
    edit_block(record, record, lambda d: d["answers"].update(behavior="hard_to_describe"))

    stale = run_cli("check", RECORD)
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert f"{RECORD}: stale" in stale.stdout

    again = run_cli("recommend", "--from-record", RECORD, "--format", "markdown",
                    "--date", DATE, "--output", RECORD)  # fmt: skip
    assert again.returncode == 0, again.stderr
    text = record.read_text(encoding="utf-8")
    regenerated = parse_record(text, RECORD)
    assert regenerated is not None
    assert regenerated.answers["behavior"] == "hard_to_describe"
    assert regenerated.answers["model_access"] == "api"
    drivers = parse_document(text).section_text("Decision Drivers")
    assert "Hosted API, no fine-tuning" in drivers  # model_access is now on the path
    assert run_cli("check", RECORD).returncode == 0
