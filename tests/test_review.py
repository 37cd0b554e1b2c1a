"""Review (`advisor.review`, `advisor review`): proposal vs advice as findings; SARIF 2.1.0 valid
against the official schema; GitHub annotations; exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import advisor
from tests.test_scenarios import FILES, load_scenario

ROOT = Path(__file__).resolve().parents[1]
# The official SARIF 2.1.0 schema (OASIS, errata 01), kept with the tests so every clone runs
# the check: https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/
SARIF_SCHEMA = ROOT / "tests" / "schemas" / "sarif-2.1.0.json"
DOCS_IN = ROOT / "tests/scenarios/fine_tune_the_docs_in.toml"
SUPPORT = ROOT / "tests/scenarios/support_bot_docs_and_part_numbers.toml"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_the_advised_mix_gives_nothing_at_or_above_medium(path: Path) -> None:
    answers = load_scenario(path).answers
    decision = advisor.decide(answers)
    subs: dict[str, list[str]] = {}
    for kind in decision.rulebase.vocabulary.kinds:
        if kind.field is None or kind.owner in (None, "value"):
            continue
        concluded = list(decision.conclusions.get(kind.name, ()))
        if kind.values == ():
            subs[kind.name] = ["yes"] if concluded else ["no"]
        else:
            subs[kind.name] = concluded
    result = advisor.review(answers, list(decision.techniques), sub_choices=subs)
    serious = [f.id for f in result.findings if f.severity in ("high", "medium")]
    assert serious == [], serious
    assert not [
        f for f in result.findings if f.id.startswith(("review.missing", "review.unneeded"))
    ]


def test_fine_tuning_the_docs_in_is_high() -> None:
    answers = load_scenario(DOCS_IN).answers
    result = advisor.review(answers, ["fine_tuning"])
    ids = {f.id: f for f in result.findings}
    assert ids["review.proposal.fine_tuning_does_not_add_knowledge"].severity == "high"
    assert ids["review.missing_technique.rag"].severity == "high"
    assert ids["review.unneeded_technique.fine_tuning"].severity == "medium"
    for finding in result.findings:
        assert finding.message and finding.improvement
        assert finding.citations, finding.id
        assert all(ref in advisor.decide(answers).rulebase.kb for ref in finding.citations)


def test_missing_and_unneeded_sub_choices() -> None:
    answers = load_scenario(SUPPORT).answers
    result = advisor.review(answers, ["rag"], sub_choices={"retriever": ["vector", "text_to_sql"]})
    ids = {f.id: f.severity for f in result.findings}
    assert ids["review.missing_retriever.keyword"] == "medium"
    assert ids["review.unneeded_retriever.text_to_sql"] == "low"
    with pytest.raises(advisor.AdvisorError, match="unknown retriever 'bm25'"):
        advisor.review(answers, ["rag"], sub_choices={"retriever": ["bm25"]})
    with pytest.raises(advisor.AdvisorError, match="unknown technique 'agents'"):
        advisor.review(answers, ["agents"])


def _write_answers(tmp_path: Path, path: Path) -> Path:
    import tomllib

    data = tomllib.loads(path.read_text(encoding="utf-8"))["answers"]
    target = tmp_path / "answers.json"
    target.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return target


def test_cli_exit_codes(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    answers = _write_answers(tmp_path, DOCS_IN)
    bad = run_cli("review", "--answers", str(answers), "--proposal", "fine_tuning")
    assert bad.returncode == 1, bad.stderr
    assert "[HIGH] review.proposal.fine_tuning_does_not_add_knowledge" in bad.stdout
    advised = ",".join(advisor.decide(json.loads(answers.read_text())).techniques)
    good = run_cli("review", "--answers", str(answers), "--proposal", advised)
    assert good.returncode == 0, good.stdout + good.stderr
    support = _write_answers(tmp_path, SUPPORT)
    medium = ["review", "--answers", str(support), "--proposal", "rag", "--retrievers", "vector"]
    assert run_cli(*medium).returncode == 0  # medium only; the default gate is high
    assert run_cli(*medium, "--fail-on", "medium").returncode == 1
    usage = run_cli("review", "--answers", str(support), "--proposal", "agents")
    assert usage.returncode == 2 and "unknown technique 'agents'" in usage.stderr
    assert "Traceback" not in usage.stderr
    none = run_cli("review", "--answers", str(support))
    assert none.returncode == 2 and "no proposal" in none.stderr
    kind = run_cli("review", "--answers", str(support), "--proposal", "rag", "--sub", "nope=x")
    assert kind.returncode == 2 and "unknown sub-choice kind 'nope'" in kind.stderr
    shape = run_cli("review", "--answers", str(support), "--proposal", "rag", "--sub", "tactic")
    assert shape.returncode == 2 and "expected KIND=LIST" in shape.stderr
    partial = tmp_path / "partial.json"
    partial.write_text('{"knowledge": "general"}', encoding="utf-8")
    for command in (["review", "--proposal", "rag"], ["whatif"], ["explain"]):
        missing = run_cli(command[0], "--answers", str(partial), *command[1:])
        assert missing.returncode == 2, (command, missing.stderr)
        assert "missing answer" in missing.stderr and "Traceback" not in missing.stderr


def test_sarif_is_valid_and_points_at_the_answer(
    run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    import jsonschema

    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    answers = tmp_path / "answers.toml"
    source = load_scenario(DOCS_IN).answers
    lines = ["# a comment line first"]
    for key, value in source.items():
        lines.append(f"{key} = {json.dumps(value)}")
    answers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli(
        "review", "--answers", str(answers), "--proposal", "fine_tuning", "--format", "sarif",
        "--kb-base-url", "https://example.org/llm-advisor/kb/",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    sarif = json.loads(result.stdout)
    jsonschema.validate(sarif, schema)
    run = sarif["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert all(
        r["helpUri"].startswith("https://example.org/llm-advisor/kb/")
        for r in run["tool"]["driver"]["rules"]
    )
    by_id = {r["ruleId"]: r for r in run["results"]}
    assert set(by_id) <= set(rule_ids)
    missing_rag = by_id["review.missing_technique.rag"]
    line = missing_rag["locations"][0]["physicalLocation"]["region"]["startLine"]
    question = advisor.review(source, ["fine_tuning"]).findings
    concerned = next(f.question for f in question if f.id == "review.missing_technique.rag")
    assert concerned is not None
    assert answers.read_text().splitlines()[line - 1].startswith(f"{concerned} =")
    assert by_id["review.proposal.fine_tuning_does_not_add_knowledge"]["level"] == "error"
    again = json.loads(run_cli(
        "review", "--answers", str(answers), "--proposal", "fine_tuning", "--format", "sarif",
        "--kb-base-url", "https://example.org/llm-advisor/kb/",
    ).stdout)  # fmt: skip
    assert again == sarif  # deterministic, fingerprints included
    assert all(r["partialFingerprints"] for r in run["results"])


def test_github_annotations(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    answers = _write_answers(tmp_path, SUPPORT)
    result = run_cli(
        "review", "--answers", str(answers), "--proposal", "rag,fine_tuning",
        "--retrievers", "vector", "--format", "github",
    )  # fmt: skip
    lines = result.stdout.splitlines()
    assert any(
        line.startswith("::error file=")
        and "title=review.proposal.fine_tuning_does_not_add" in line
        for line in lines
    )
    keyword = next(line for line in lines if "review.missing_retriever.keyword" in line)
    assert keyword.startswith("::warning file=")
    number = int(keyword.split("line=")[1].split(",")[0])
    assert answers.read_text().splitlines()[number - 1].strip().startswith('"data_shapes":')


def test_a_proposal_finding_says_which_proposal_clears_it() -> None:
    answers = load_scenario(SUPPORT).answers
    result = advisor.review(answers, ["rag", "fine_tuning"])
    finding = next(
        f for f in result.findings if f.id == "review.proposal.fine_tuning_does_not_add_knowledge"
    )
    assert finding.improvement.startswith("Propose prompt_engineering, rag instead")
    cleared = advisor.review(answers, ["prompt_engineering", "rag"])
    assert finding.id not in {f.id for f in cleared.findings}


def test_json_and_markdown_formats(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    answers = _write_answers(tmp_path, SUPPORT)
    args = ["review", "--answers", str(answers), "--proposal", "rag,fine_tuning"]
    data = json.loads(run_cli(*args, "--format", "json").stdout)
    library = advisor.review(json.loads(answers.read_text()), ["rag", "fine_tuning"])
    assert advisor.Review.model_validate(data) == library
    markdown = run_cli(*args, "--format", "markdown").stdout
    assert markdown.startswith("# Review of the proposed approach")
    assert "## HIGH: `review.proposal.fine_tuning_does_not_add_knowledge`" in markdown
    clean = run_cli("review", "--answers", str(answers), "--proposal", "rag", "--format", "github")
    assert clean.returncode == 0 and clean.stdout == ""  # nothing to annotate


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--proposal", "fine_tuning", "--retrievers", "vector"], "proposed without rag"),
        (["--proposal", "rag", "--sub", "reranker=yes,no"], "both yes and no"),
        (["--proposal", "rag", "--sub", "tactic=few_shot,few_shot"], "proposed twice"),
        (["--proposal", ""], "--proposal is empty"),
    ],
)
def test_contradictory_or_empty_proposals_are_refused(
    run_cli: Callable[..., Any], extra: list[str], message: str
) -> None:
    result = run_cli("review", "--answers", str(ROOT / "examples/support-bot.toml"), *extra)
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_repeated_sub_options_are_merged(run_cli: Callable[..., Any]) -> None:
    result = run_cli("review", "--answers", str(ROOT / "examples/support-bot.toml"),
                     "--proposal", "rag", "--sub", "tactic=few_shot", "--sub", "tactic=routing",
                     "--format", "json")  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    assert json.loads(result.stdout)["sub_choices"]["tactic"] == ["few_shot", "routing"]


def test_an_unneeded_choice_names_the_nearest_answers_that_would_call_for_it() -> None:
    """Between two budget ranges that add the re-ranker, the fix names the one nearest the
    present budget, and that range really does add it."""
    base = load_scenario(SUPPORT).answers
    for budget in (1_000, 1_450, 1_700):
        answers = {**base, "channel": "phone", "latency_budget_ms": budget}
        assert "" not in advisor.decide(answers).conclusions.get("reranker", ())
        result = advisor.review(answers, ["rag"], sub_choices={"reranker": ["yes"]})
        (finding,) = [f for f in result.findings if f.id == "review.unneeded_reranker"]
        words = finding.improvement.split("latency_budget_ms ")[1].rstrip(".")
        whatif = advisor.what_if(answers, "reranker")
        ranges = [c for e in whatif.elements for c in e.change_sets]
        assert len(ranges) >= 2 and words in [
            c.words.split("latency_budget_ms ")[1] for c in ranges
        ]
        low, high = (int(n.replace(",", "")) for n in words.removesuffix(" ms").split()[1::2])
        gaps = []
        for c in ranges:
            (change,) = c.changes
            gaps.append(max((change.low or 0) - budget, budget - (change.high or budget), 0))
        assert max(low - budget, budget - high, 0) == min(gaps)
        nearest = (low + high) // 2
        added = advisor.decide({**answers, "latency_budget_ms": nearest})
        assert "" in added.conclusions["reranker"]


def test_a_key_like_line_inside_a_multi_line_string_is_not_the_answer() -> None:
    """`notes` may hold text that looks like an answer (`proposed = [...]` quoted in a
    multi-line string): SARIF and GitHub annotations point at the real answer's line."""
    from advisor.render.review import answer_lines

    text = (
        'knowledge = "general"\n'
        'notes = """\nproposed = ["fine_tuning"] was the first idea\n"""\n'
        "notes_too = '''\nbehavior = \"x\"\n'''\n"
        'proposed = ["rag"]\n'
        'behavior = "default"\n'
    )
    lines = answer_lines(text)
    assert lines["proposed"] == 8 and lines["behavior"] == 9
    assert text.splitlines()[lines["proposed"] - 1].startswith("proposed =")


def test_answers_proposing_nothing_have_nothing_to_review(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    """`proposed = []` is what the questionnaire saves when nothing is ticked: the review (and
    the pre-commit hook running it) passes with a note, and SARIF gets an empty run; answers
    without `proposed` at all still ask for a proposal."""
    import tomllib

    answers = tomllib.loads((ROOT / "examples" / "support-bot.toml").read_text(encoding="utf-8"))
    answers["proposed"] = []
    path = tmp_path / "a.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    result = run_cli("review", "--answers", str(path))
    assert result.returncode == 0, result.stderr
    assert "propose no technique ('proposed' is empty): nothing to review" in result.stderr
    assert result.stdout == ""
    sarif = run_cli("review", "--answers", str(path), "--format", "sarif")
    assert sarif.returncode == 0 and json.loads(sarif.stdout)["runs"][0]["results"] == []
    del answers["proposed"]
    path.write_text(json.dumps(answers), encoding="utf-8")
    missing = run_cli("review", "--answers", str(path))
    assert missing.returncode == 2 and "no proposal" in missing.stderr
