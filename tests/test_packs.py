"""Rule packs through the real console script: layering, explicit changes, refusals, outputs."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from advisor.errors import RuleFileError
from advisor.knowledge.loader import default_rulebase
from advisor.knowledge.packs import layer

ROOT = Path(__file__).resolve().parents[1]
CORE = default_rulebase().version
"""The version of the shipped rules, as messages and records name it."""
EXAMPLE = ROOT / "examples" / "packs" / "on-premises"
GOLDEN_ANSWERS = ROOT / "examples" / "support-bot.toml"

RULE = """
[[rule]]
id = "{id}"
when = "knowledge != general"
then = "finding:{finding}"
severity = "{severity}"
because = "Our policy."
cite = ["kb/rag.md#when-retrieval-is-the-answer"]
"""


def make_pack(
    root: Path, rules: str = "", *, name: str = "acme", requires: str = ">=2.0,<3"
) -> Path:
    (root / "rules").mkdir(parents=True)
    (root / "pack.toml").write_text(
        f'name = "{name}"\nversion = "1.2.0"\nrequires = "{requires}"\n', encoding="utf-8"
    )
    (root / "rules" / "policy.toml").write_text(rules, encoding="utf-8")
    return root


def answers_file(tmp_path: Path, extra: dict[str, Any] | None = None) -> Path:
    import tomllib

    data = tomllib.loads(GOLDEN_ANSWERS.read_text(encoding="utf-8"))
    data.update(extra or {})
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def refused(run_cli: Callable[..., Any], pack: Path, *parts: str) -> str:
    result = run_cli("--pack", str(pack), "lint")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    for part in parts:
        assert part in result.stderr, result.stderr
    return str(result.stderr)


# --------------------------------------------------------------------------- refusals


def test_an_override_of_an_unknown_id_names_the_file_the_place_and_the_fix(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    pack = make_pack(tmp_path / "p", '[[override]]\nrule = "rag_for_privat"\nseverity = "high"\n')
    refused(
        run_cli,
        pack,
        "policy.toml: line 2, [[override]] rule = 'rag_for_privat'",
        "names no rule 'rag_for_privat'",
        "to add a new rule write it as [[rule]] instead",
    )


def test_a_silent_clash_with_a_shipped_id_names_both_files_and_the_fix(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    shipped = default_rulebase().rules[0]
    pack = make_pack(
        tmp_path / "p", RULE.format(id=shipped.id, finding="acme_policy", severity="low")
    )
    stderr = refused(
        run_cli,
        pack,
        "policy.toml",
        f"rule id '{shipped.id}' is already used by",
        shipped.source.partition(": ")[0].rsplit("/", 1)[-1],
        f'[[override]] rule = "{shipped.id}"',
    )
    assert "give this rule another id" in stderr


def test_a_contradicting_rule_is_refused(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    # the shipped rules raise high_stakes_needs_human_review as high: a pack rule may not
    # raise a shipped finding with another severity without saying so
    pack = make_pack(
        tmp_path / "p",
        RULE.format(id="acme_guardrails", finding="high_stakes_needs_human_review", severity="low"),
    )
    refused(
        run_cli,
        pack,
        "policy.toml: line 3, rule 'acme_guardrails'",
        "the finding 'high_stakes_needs_human_review' is raised with severity 'high'",
        '[[severity]] finding = "high_stakes_needs_human_review" severity = "low"',
    )


@pytest.mark.parametrize("what", ["rule file", "kb page", "rules folder"])
def test_a_link_leaving_the_pack_is_refused(
    tmp_path: Path, run_cli: Callable[..., Any], what: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.toml").write_text(RULE.format(id="x", finding="y", severity="low"))
    (outside / "secret.md").write_text("# Secret\n\n## Key\n\nhunter2\n")
    pack = make_pack(tmp_path / "p")
    if what == "rule file":
        (pack / "rules" / "more.toml").symlink_to(outside / "secret.toml")
    elif what == "kb page":
        (pack / "kb").mkdir()
        (pack / "kb" / "secret.md").symlink_to(outside / "secret.md")
    else:
        shutil.rmtree(pack / "rules")
        (pack / "rules").symlink_to(outside)
    refused(run_cli, pack, "outside", "must stay in")


def test_an_oversized_or_special_file_is_refused(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    pack = make_pack(tmp_path / "p")
    (pack / "rules" / "huge.toml").write_text("# " + "x" * (4 * 1024 * 1024 + 10))
    refused(run_cli, pack, "huge.toml", "more than the limit")
    (pack / "rules" / "huge.toml").unlink()
    os.mkfifo(pack / "rules" / "fifo.toml")
    refused(run_cli, pack, "fifo.toml", "not a regular file")


def test_a_pack_for_another_core_version_is_refused(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    pack = make_pack(tmp_path / "p", requires=">=3.0")
    refused(run_cli, pack, "pack.toml: requires", "requires rules >=3.0", CORE)


def test_a_pack_question_needs_a_default(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    pack = make_pack(tmp_path / "p")
    (pack / "rules" / "questions.toml").write_text(
        '[[question]]\nid = "region"\ntype = "bool"\ntext = "EU?"\nwhy = "Law."\n'
    )
    refused(run_cli, pack, "questions.toml: line 2, question 'region'", "needs a 'default'")


@pytest.mark.parametrize(
    ("qid", "reason"),
    [("project", "the answers file's project name"), ("true", "a word of the condition language"),
     ("count", "a word of the condition language")],
)  # fmt: skip
def test_a_pack_question_cannot_take_a_reserved_id(
    tmp_path: Path, run_cli: Callable[..., Any], qid: str, reason: str
) -> None:
    """`project` would be read as the answers file's name, `true` as the constant in every
    condition that says it, `count` as the counting function: each id is refused at load."""
    pack = make_pack(tmp_path / "p")
    (pack / "rules" / "questions.toml").write_text(
        f'[[question]]\nid = "{qid}"\ntype = "bool"\ntext = "A?"\nwhy = "B."\ndefault = false\n'
    )
    refused(run_cli, pack, f"question '{qid}'", f"id '{qid}' is reserved ({reason})")


def test_a_pack_cannot_push_the_rule_base_past_the_question_limit(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    """The exact analyses walk one diagram level per question: past MAX_QUESTIONS in all, a
    pack is refused at load with the count, not a RecursionError in `explain` later."""
    from advisor.knowledge.questions import MAX_QUESTIONS

    pack = make_pack(tmp_path / "p")
    room = MAX_QUESTIONS - len(default_rulebase().questions)
    entry = '[[question]]\nid = "q{n}"\ntype = "bool"\ntext = "A?"\nwhy = "B."\ndefault = false\n'
    path = pack / "rules" / "questions.toml"
    path.write_text("".join(entry.format(n=n) for n in range(room)), encoding="utf-8")
    assert run_cli("--pack", str(pack), "lint").returncode == 0  # exactly at the limit
    path.write_text("".join(entry.format(n=n) for n in range(room + 1)), encoding="utf-8")
    over = f"{MAX_QUESTIONS + 1:,} questions, more than the limit of {MAX_QUESTIONS}"
    refused(run_cli, pack, over)


def test_a_kb_page_over_its_limit_is_refused_before_markdown_reads_it(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    """Unclosed brackets cost markdown-it-py up to 20 µs a character: a kb page is bounded at
    256 KiB (about 5 s at worst), well below the 4 MiB of a rule file."""
    from advisor.knowledge.kb import MAX_PAGE_BYTES

    pack = make_pack(tmp_path / "p")
    (pack / "kb").mkdir()
    page = pack / "kb" / "ours.md"
    page.write_text("# Ours\n\n" + "x" * (MAX_PAGE_BYTES - 20) + "\n", encoding="utf-8")
    assert run_cli("--pack", str(pack), "lint").returncode == 0  # under the limit: read
    page.write_text("# Ours\n\n" + "![" * (MAX_PAGE_BYTES // 2) + "\n", encoding="utf-8")
    stderr = refused(run_cli, pack, str(page), f"more than the limit of {MAX_PAGE_BYTES:,}")
    assert "split the page" in stderr


def test_a_pack_of_too_many_files_is_refused_before_they_are_all_read(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    from advisor.knowledge.packs import MAX_PACK_FILES

    pack = make_pack(tmp_path / "p")
    (pack / "kb").mkdir()
    for n in range(MAX_PACK_FILES):  # with policy.toml: one file over the limit
        (pack / "kb" / f"page{n:03}.md").write_text(f"# Page {n}\n\nText.\n", encoding="utf-8")
    stderr = refused(run_cli, pack, str(pack), f"more than the limit of {MAX_PACK_FILES}")
    assert "split the pack" in stderr
    (pack / "kb" / "page000.md").unlink()
    assert run_cli("--pack", str(pack), "lint").returncode == 0


def test_a_pack_whose_files_together_are_too_large_is_refused(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    from advisor.knowledge.packs import MAX_PACK_CHARS

    pack = make_pack(tmp_path / "p")
    comment = "#" + "x" * (3 * 1024 * 1024) + "\n"  # 3 MiB: under the per-file limit
    files = MAX_PACK_CHARS // len(comment) + 1
    for n in range(files):
        (pack / "rules" / f"big{n:02}.toml").write_text(comment, encoding="utf-8")
    refused(run_cli, pack, "more than the limit of", "characters together; split the pack")


def test_a_pack_too_interlinked_for_the_exact_analyses_stops_at_the_node_limit(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    """40 questions, each asked on a condition over two earlier ones, and rules over three:
    the diagrams would need 4.5 million nodes (80 s, 1.9 GB); lint stops at the limit with
    a clear error, and a recommendation (which builds no diagram) still works."""
    import random

    from advisor.analysis.answer_space import MAX_ENTRIES

    rng = random.Random(1)
    choices = "".join(f'[[question.choices]]\nvalue = "{v}"\nlabel = "{v}"\n' for v in "abc")
    questions, rules = [], []
    for i in range(40):
        gate = ""
        if i >= 2:
            a, b = rng.sample(range(i), 2)
            gate = f'asked_when = "z{a} == b or z{b} != c"\n'
        questions.append(
            f'[[question]]\nid = "z{i}"\ntype = "choice"\ntext = "Q?"\nwhy = "W."\n'
            f'default = "a"\n{gate}{choices}'
        )
        if i >= 3:
            a, b, c = rng.sample(range(i + 1), 3)
            rules.append(
                RULE.format(id=f"r{i}", finding=f"f{i}", severity="low").replace(
                    'when = "knowledge != general"',
                    f'when = "(z{a} == a and z{b} != b) or (z{c} == c and knowledge != general)"',
                )
            )
    pack = make_pack(tmp_path / "p", "".join(rules))
    (pack / "rules" / "questions.toml").write_text("".join(questions), encoding="utf-8")
    refused(
        run_cli, pack, "too interlinked for the exact analyses", f"passed {MAX_ENTRIES:,} links"
    )
    answers = answers_file(tmp_path)
    result = run_cli("--pack", str(pack), "recommend", "--answers", str(answers))
    assert result.returncode == 0, result.stderr


def test_a_many_choice_question_with_too_many_named_values_is_refused_by_the_analyses(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    """A many-choice question has an answer class per subset of the values conditions name:
    20 named values are a million classes, which `why` and lint would enumerate (1.3 GB and
    rising). They stop with the count; a recommendation, which enumerates none, still works."""
    from advisor.knowledge.domains import MAX_CLASSES

    def pack_naming(named: int) -> Path:
        rules = "".join(
            RULE.format(id=f"region_{n}", finding="region_policy", severity="low").replace(
                'when = "knowledge != general"', f'when = "regions has r{n}"'
            )
            for n in range(named)
        )
        pack = make_pack(tmp_path / f"p{named}", rules)
        choices = ", ".join(f'{{ value = "r{n}", label = "R{n}" }}' for n in range(20))
        (pack / "rules" / "questions.toml").write_text(
            '[[question]]\nid = "regions"\ntype = "set"\ntext = "Where?"\nwhy = "W."\n'
            f"default = []\nchoices = [{choices}]\n",
            encoding="utf-8",
        )
        return pack

    over = pack_naming(20)
    stderr = refused(run_cli, over, "question 'regions'", "1,048,576 classes", f"{MAX_CLASSES:,}")
    assert "name fewer of its values" in stderr
    answers = str(answers_file(tmp_path))
    result = run_cli("--pack", str(over), "why", "regions", "--answers", answers)
    assert result.returncode == 2 and "1,048,576 classes" in result.stderr
    result = run_cli("--pack", str(over), "recommend", "--answers", answers)
    assert result.returncode == 0, result.stderr
    within = pack_naming(6)  # 64 subsets x 15 counts of the others: 960 classes
    assert run_cli("--pack", str(within), "lint").returncode == 0


def test_a_number_compared_with_too_many_thresholds_is_refused_by_the_analyses(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    """Each threshold a condition compares a number with adds two answer classes: 600 of them
    on the latency budget are 1,201+ classes (2,000 took what-if 60 s and 600 MB)."""
    from advisor.knowledge.domains import MAX_CLASSES

    rules = "".join(
        RULE.format(id=f"t{n}", finding="threshold_policy", severity="low").replace(
            'when = "knowledge != general"', f'when = "latency_budget_ms < {1000 + 7 * n}"'
        )
        for n in range(MAX_CLASSES // 2 + 88)
    )
    pack = make_pack(tmp_path / "p", rules)
    stderr = refused(run_cli, pack, "question 'latency_budget_ms'", f"{MAX_CLASSES:,}")
    assert "compare it with fewer numbers" in stderr
    answers = str(answers_file(tmp_path))
    result = run_cli("--pack", str(pack), "whatif", "--answers", answers)
    assert result.returncode == 2 and "different numbers" in result.stderr, result.stderr
    assert run_cli("--pack", str(pack), "recommend", "--answers", answers).returncode == 0


def test_a_rule_disabled_twice_or_disabled_then_overridden_names_both_lines(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    pack = make_pack(tmp_path / "p")
    policy = pack / "rules" / "policy.toml"
    policy.write_text(
        '[[disable]]\nrule = "use_batch_api"\n\n[[disable]]\nrule = "use_batch_api"\n',
        encoding="utf-8",
    )
    refused(
        run_cli,
        pack,
        "line 5, [[disable]] rule = 'use_batch_api'",
        "already disabled (line 2, [[disable]] rule = 'use_batch_api')",
    )
    policy.write_text(
        '[[disable]]\nrule = "use_batch_api"\n\n[[override]]\nrule = "use_batch_api"\n'
        'severity = "low"\n',
        encoding="utf-8",
    )
    refused(run_cli, pack, "line 5, [[override]]", "which the pack disables (line 2,")


def test_a_kb_section_clash_must_be_declared(tmp_path: Path) -> None:
    pack = make_pack(tmp_path / "p")
    (pack / "kb").mkdir()
    (pack / "kb" / "rag.md").write_text(
        "# RAG\n\n## When retrieval is the answer\n\nOur own words.\n", encoding="utf-8"
    )
    with pytest.raises(RuleFileError, match=r"already in the knowledge base .*override"):
        layer(default_rulebase(), [pack])
    (pack / "rules" / "policy.toml").write_text(
        '[[override]]\nkb = "kb/rag.md#when-retrieval-is-the-answer"\n', encoding="utf-8"
    )
    layered = layer(default_rulebase(), [pack])
    assert layered.kb["kb/rag.md#when-retrieval-is-the-answer"].summary == "Our own words."


# --------------------------------------------------------------------------- layering


def test_the_shipped_rules_alone_are_unchanged(tmp_path: Path) -> None:
    base = default_rulebase()
    assert layer(base, []) is base
    assert base.packs == ()


def test_explicit_changes_apply(tmp_path: Path) -> None:
    layered = layer(default_rulebase(), [EXAMPLE])
    by_id = {r.id: r for r in layered.rules}
    assert "use_batch_api" not in by_id and "hosted_model_not_allowed" in by_id
    assert by_id["hosted_fine_tuning_winding_down"].severity == "high"
    assert {
        r.severity for r in layered.rules if r.then.key == "finding:actions_need_guardrails"
    } == {"high"}
    assert [r.order for r in layered.rules] == list(range(len(layered.rules)))
    assert layered.question_by_id["vector_store"].default == "undecided"
    assert [(p.name, p.version) for p in layered.packs] == [("on-premises", "1.0.0")]


def test_json_text_and_record_name_the_packs(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    answers = answers_file(tmp_path)
    plain = run_cli("recommend", "--answers", str(answers), "--format", "json")
    assert plain.returncode == 0 and '"packs"' not in plain.stdout
    result = run_cli(
        "--pack", str(EXAMPLE), "recommend", "--answers", str(answers), "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["packs"] == [{"name": "on-premises", "version": "1.0.0"}]
    assert data["answers"]["vector_store"] == "undecided"
    text = run_cli("--pack", str(EXAMPLE), "recommend", "--answers", str(answers))
    assert "rule packs: on-premises 1.0.0" in text.stdout
    record = tmp_path / "docs" / "decisions" / "0001.md"
    record.parent.mkdir(parents=True)
    made = run_cli(
        "recommend", "--pack", str(EXAMPLE), "--answers", str(answers), "--format", "markdown",
        "--output", str(record), "--date", "2026-12-06",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    body = record.read_text(encoding="utf-8")
    assert 'packs: ["on-premises 1.0.0"]' in body
    assert '"packs": [{"name": "on-premises", "version": "1.0.0"' in body
    # re-checked under the packs it names, without --pack
    check = run_cli("check", str(record))
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"current (rules {CORE}, pack on-premises 1.0.0)" in check.stdout
    # the recorded folder is gone and no pack of that name is in force: say so, exit 2
    moved = tmp_path / "elsewhere"
    shutil.copytree(EXAMPLE, moved)
    body = body.replace(json.dumps(str(EXAMPLE))[1:-1], "gone/on-premises")
    record.write_text(body, encoding="utf-8")
    missing = run_cli("check", str(record))
    assert missing.returncode == 2
    assert "made with the rule pack 'on-premises' 1.0.0" in missing.stderr
    assert "pass --pack DIR" in missing.stderr
    found = run_cli("--pack", str(moved), "check", str(record))
    assert found.returncode == 0, found.stdout + found.stderr


def test_precedence_command_line_then_environment_then_pyproject(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    answers = answers_file(tmp_path)
    make_pack(tmp_path / "from-env", name="from-env")
    make_pack(tmp_path / "from-cli", name="from-cli")
    shutil.copytree(EXAMPLE, tmp_path / "policy" / "on-premises")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.llm-advisor]\npacks = ["policy/on-premises"]\n', encoding="utf-8"
    )

    def packs(*args: str, env: dict[str, str] | None = None) -> list[str]:
        result = run_cli(*args, "recommend", "--answers", str(answers), "--format", "json", env=env)
        assert result.returncode == 0, result.stderr
        return [p["name"] for p in json.loads(result.stdout).get("packs", [])]

    env = {"ADVISOR_PACKS": str(tmp_path / "from-env")}
    assert packs() == ["on-premises"]
    assert packs(env=env) == ["from-env"]
    assert packs("--pack", str(tmp_path / "from-cli"), env=env) == ["from-cli"]
    assert packs(env={"ADVISOR_PACKS": ""}) == []
    two = os.pathsep.join([str(tmp_path / "from-env"), str(tmp_path / "from-cli")])
    assert packs(env={"ADVISOR_PACKS": two}) == ["from-env", "from-cli"]


@pytest.mark.parametrize(
    ("text", "code", "packs"),
    [
        ('[project]\nname = "llm-advisor-demo"\nbroken = [\n', 0, []),  # not ours: not read
        ('[tool.ruff]\nline-length = 100\n', 0, []),
        ('[tool]\n"llm-advisor".packs = ["policy/on-premises"]\n', 0, ["on-premises"]),
        ('["tool"."llm-advisor"]\npacks = ["policy/on-premises"]\n', 0, ["on-premises"]),
        ('"tool" = { "llm-advisor" = { packs = ["policy/on-premises"] } }\n', 0, ["on-premises"]),
        ('"tool"."llm-advisor".packs = ["policy/on-premises"]\n', 0, ["on-premises"]),
        ('[tool.llm-advisor]\npacks = [\n', 2, []),  # ours and broken: refused
    ],
)
def test_pyproject_is_read_only_when_it_can_name_packs(
    tmp_path: Path, run_cli: Callable[..., Any], text: str, code: int, packs: list[str]
) -> None:
    answers = answers_file(tmp_path)
    shutil.copytree(EXAMPLE, tmp_path / "policy" / "on-premises")
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    result = run_cli("recommend", "--answers", str(answers), "--format", "json", cwd=tmp_path)
    if code == 0 and not packs:  # not ours even when it is not text at all
        (tmp_path / "pyproject.toml").write_bytes(text.encode() + b"\xff\n")
        again = run_cli("recommend", "--answers", str(answers), "--format", "json", cwd=tmp_path)
        assert again.returncode == 0, again.stderr
    assert result.returncode == code, result.stderr
    if code == 0:
        assert [p["name"] for p in json.loads(result.stdout).get("packs", [])] == packs
    else:
        assert "pyproject.toml" in result.stderr and "fix the file" in result.stderr


# --------------------------------------------------------------------------- advisor test


def test_the_example_pack_passes_its_scenarios(run_cli: Callable[..., Any]) -> None:
    result = run_cli("--pack", str(EXAMPLE), "test")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"4 scenarios (rules {CORE} with on-premises 1.0.0): 4 passed" in result.stdout


def test_a_scenario_that_no_longer_matches_prints_a_diff(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    pack = tmp_path / "on-premises"
    shutil.copytree(EXAMPLE, pack)
    policy = pack / "rules" / "policy.toml"
    text = policy.read_text(encoding="utf-8")
    before = 'when = "needs_retrieval and vector_store != approved"'
    after = 'when = "needs_retrieval and vector_store == other"'
    policy.write_text(text.replace(before, after), encoding="utf-8")
    result = run_cli("--pack", str(pack), "test")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "store_undecided.toml: FAIL:" in result.stdout
    assert "  findings_include: not raised\n    - use_the_approved_vector_store" in result.stdout
    assert "1 failed, 0 malformed" in result.stdout


def test_a_malformed_scenario_exits_2(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'description = "x"\nsource = "https://e.org"\n[answers]\n[expect]\ntechnique = []\n'
    )
    result = run_cli("test", str(bad))
    assert result.returncode == 2
    assert "bad.toml: [expect]: unknown [expect] key(s) ['technique']" in result.stderr


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('cites = ["kb/../../etc/passwd#x"]', "is not a kb section: write kb/<file>.md#<anchor>"),
        ('cites = ["kb/rag.md#when-retrieval-is-the-answer"]\ndropped_stages = ["Re Ranker"]',
         "'Re Ranker' is not a stage id"),
    ],
)  # fmt: skip
def test_a_scenario_with_a_malformed_expectation_exits_2(
    tmp_path: Path, run_cli: Callable[..., Any], line: str, message: str
) -> None:
    """A citation or stage id that cannot exist is a malformed scenario (exit 2), not a
    failed check (exit 1) that reads as if the rules had changed."""
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'description = "x"\nsource = "https://e.org"\n[answers]\n'
        f'[expect]\ntechniques = ["prompt_engineering"]\n{line}\n',
        encoding="utf-8",
    )
    result = run_cli("test", str(bad))
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr


# --------------------------------------------------------------------------- lint


def lint_json(run_cli: Callable[..., Any], pack: Path) -> tuple[int, list[dict[str, Any]]]:
    result = run_cli("--pack", str(pack), "lint", "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def test_lint_proves_the_example_pack_clean(run_cli: Callable[..., Any]) -> None:
    code, found = lint_json(run_cli, EXAMPLE)
    assert (code, found) == (0, [])


def test_lint_reports_what_only_packs_can_get_wrong(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    pack = make_pack(
        tmp_path / "p",
        '[[override]]\nrule = "use_batch_api"\nseverity = "info"\n\n'
        '[[disable]]\nrule = "fine_tuning_for_behaviour"\n\n'
        '[[disable]]\nrule = "fine_tuning_for_volume"\n\n'
        '[[disable]]\nrule = "fine_tuning_for_a_narrow_skill"\n\n'
        '[[rule]]\nid = "eu_data"\nwhen = "knowledge != general"\nthen = "finding:eu_data"\n'
        'severity = "low"\nbecause = "EU data."\ncite = ["kb/acme.md#data-residency"]\n',
    )
    (pack / "rules" / "questions.toml").write_text(
        '[[question]]\nid = "region"\ntype = "bool"\ntext = "EU?"\nwhy = "Law."\ndefault = true\n'
    )
    (pack / "kb").mkdir()
    (pack / "kb" / "acme.md").write_text(
        "# Acme policy\n\nLast reviewed: 2026-12-01\n\n## Data residency\n\nEU only.\n\n"
        "## Retention\n\nThirty days.\n"
    )
    code, found = lint_json(run_cli, pack)
    assert code == 1
    by_code = {d["code"]: d for d in found}
    unchanged = by_code["pack-override-unchanged"]
    assert unchanged["rule"] == "use_batch_api" and unchanged["file"].endswith("policy.toml")
    needed = [d for d in found if d["code"] == "pack-disabled-needed"]
    assert [(d["rule"], d["line"], d["severity"]) for d in needed] == [
        ("fine_tuning_for_behaviour", 6, "error"),
        ("fine_tuning_for_volume", 9, "error"),
        ("fine_tuning_for_a_narrow_skill", 12, "error"),
    ]  # together they were the only rules concluding fine-tuning
    assert all("concluding 'technique:fine_tuning'" in d["message"] for d in needed)
    assert by_code["pack-unread-question"]["rule"] == "region"
    uncited = by_code["pack-uncited-section"]
    assert "kb/acme.md#retention" in uncited["message"] and uncited["line"] == 9
    assert "kb/acme.md#data-residency" not in json.dumps(found)


def test_a_layered_rule_base_comes_from_the_cache_and_follows_edits(tmp_path: Path) -> None:
    from advisor.knowledge import cache

    pack = tmp_path / "on-premises"
    shutil.copytree(EXAMPLE, pack)
    first = layer(default_rulebase(), [pack])
    entries = set(cache.cache_dir().glob("rulebase-*.json"))  # type: ignore[union-attr]
    second = layer(default_rulebase(), [pack])
    assert second is not first and set(cache.cache_dir().glob("rulebase-*.json")) == entries  # type: ignore[union-attr]
    assert [r.id for r in second.rules] == [r.id for r in first.rules]
    assert second.layers == first.layers and second.packs == first.packs
    assert second.digest == first.digest
    policy = pack / "rules" / "policy.toml"
    policy.write_text(policy.read_text().replace('severity = "high"', 'severity = "low"', 1))
    third = layer(default_rulebase(), [pack])
    assert third.digest != first.digest
    assert {r.id: r.severity for r in third.rules}["hosted_model_not_allowed"] == "low"


@pytest.mark.parametrize("ref", ["kb/../secret.md#key", "/etc/passwd", "../kb/rag.md#x"])
def test_a_citation_cannot_point_outside(
    tmp_path: Path, run_cli: Callable[..., Any], ref: str
) -> None:
    rule = RULE.format(id="acme", finding="acme", severity="low").replace(
        "kb/rag.md#when-retrieval-is-the-answer", ref
    )
    pack = make_pack(tmp_path / "p", rule)
    refused(
        run_cli, pack, "policy.toml", f"citation '{ref}' must look like 'kb/<file>.md#<anchor>'"
    )


def test_pack_toml_leaving_the_folder_is_refused(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    pack = make_pack(tmp_path / "p")
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_bytes((pack / "pack.toml").read_bytes())
    (pack / "pack.toml").unlink()
    (pack / "pack.toml").symlink_to(elsewhere)
    refused(run_cli, pack, "pack.toml", "outside")


def test_check_names_a_new_pack_version_and_a_changed_outcome(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    pack = tmp_path / "on-premises"
    shutil.copytree(EXAMPLE, pack)
    answers = answers_file(tmp_path)
    record = tmp_path / "0001.md"
    made = run_cli("--pack", str(pack), "recommend", "--answers", str(answers), "--format",
                   "markdown", "--output", str(record), "--date", "2026-12-06")  # fmt: skip
    assert made.returncode == 0, made.stderr
    meta = pack / "pack.toml"
    meta.write_text(meta.read_text().replace('version = "1.0.0"', 'version = "1.1.0"'))
    policy = pack / "rules" / "policy.toml"
    policy.write_text(policy.read_text().replace('severity = "medium"', 'severity = "low"', 1))
    check = run_cli("check", str(record))
    assert check.returncode == 1, check.stdout + check.stderr
    assert f"stale (rules {CORE}, pack on-premises 1.0.0 -> 1.1.0)" in check.stdout
    assert "use_the_approved_vector_store" in check.stdout
    assert f"regenerate: advisor --pack {pack} recommend --from-record" in check.stdout
    again = run_cli("recommend", "--from-record", str(record), "--format", "markdown",
                    "--output", str(record), "--date", "2026-12-06")  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert 'packs: ["on-premises 1.1.0"]' in record.read_text(encoding="utf-8")
    assert run_cli("check", str(record)).returncode == 0
