"""The `advisor` console script: recommend, schema, errors and exit codes (run for real)."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import BASE_ANSWERS, ROOT, RunResult

Run = Callable[..., RunResult]


def write_answers(path: Path, answers: dict[str, Any]) -> Path:
    path.write_text(json.dumps(answers))
    return path


def assert_clean_error(result: RunResult, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("advisor: error: ")
    for fragment in fragments:
        assert fragment in result.stderr


def test_version(run_cli: Run) -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("advisor ")


def test_recommend_json_is_the_recommendation_model(run_cli: Run, tmp_path: Path) -> None:
    answers = {**BASE_ANSWERS, "knowledge": "private_dynamic", "citations": True}
    result = run_cli(
        "recommend",
        "--answers",
        str(write_answers(tmp_path / "a.json", answers)),
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    import advisor

    assert data == json.loads(advisor.advise(answers).model_dump_json())
    assert data["techniques"][:2] == ["prompt_engineering", "rag"]
    assert data["rag"]["rationale"][0]["citations"][0].startswith("kb/")


def test_recommend_text_and_markdown(run_cli: Run, tmp_path: Path) -> None:
    path = write_answers(tmp_path / "a.json", {**BASE_ANSWERS, "knowledge": "private_static"})
    text = run_cli("recommend", "--answers", str(path))
    assert text.returncode == 0
    assert text.stdout.startswith("Recommendation: prompt engineering + RAG")
    assert "Sources" in text.stdout and "kb/rag.md#" in text.stdout
    assert max(len(line) for line in text.stdout.splitlines()) <= 80
    markdown = run_cli("recommend", "--answers", str(path), "--format", "markdown")
    assert markdown.returncode == 0
    assert ("# " in markdown.stdout and "](kb/" in markdown.stdout) or "kb/" in markdown.stdout


def test_toml_answers_and_output_file(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli(
        "recommend",
        "--answers",
        str(ROOT / "examples" / "support-bot.toml"),
        "--format",
        "json",
        "--output",
        "out/rec.json",
    )
    assert result.returncode == 0, result.stderr
    written = json.loads((tmp_path / "out" / "rec.json").read_text())
    assert "rag" in written["techniques"]
    assert "wrote out/rec.json" in result.stderr


@pytest.mark.parametrize("fmt", ["json", "toml"])
def test_answers_from_stdin(run_cli: Run, fmt: str) -> None:
    if fmt == "json":
        payload = json.dumps(BASE_ANSWERS)
    else:
        payload = (ROOT / "examples" / "support-bot.toml").read_text()
    result = run_cli("recommend", "--answers", "-", "--format", "json", input=payload)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["techniques"][0] == "prompt_engineering"


def test_set_overrides_the_file(run_cli: Run, tmp_path: Path) -> None:
    path = write_answers(tmp_path / "a.json", {**BASE_ANSWERS, "knowledge": "private_static"})
    result = run_cli(
        "recommend",
        "--answers",
        str(path),
        "--format",
        "json",
        "--set",
        "knowledge=general",
        "--set",
        "citations=yes",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert "rag" not in data["techniques"]
    assert data["answers"]["knowledge"] == "general"


def test_set_accepts_numbers_as_the_questionnaire_does(run_cli: Run, tmp_path: Path) -> None:
    path = write_answers(tmp_path / "a.json", BASE_ANSWERS)
    for typed, expected in [("2s", 2000), ("1 500", 1500), ("1.5 min", 90000), ("3,000", 3000)]:
        result = run_cli(
            "recommend",
            "--answers",
            str(path),
            "--format",
            "json",
            "--set",
            f"latency_budget_ms={typed}",
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["answers"]["latency_budget_ms"] == expected


def test_answers_only_from_set(run_cli: Run) -> None:
    settings = []
    for key, value in BASE_ANSWERS.items():
        shown = ",".join(value) if isinstance(value, list) else str(value).lower()
        settings += ["--set", f"{key}={shown}"]
    result = run_cli("recommend", *settings, "--format", "json")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        ({"latency": 5}, ["unknown answer id 'latency'", "latency_budget_ms"]),
        ({"knowledge": "secret"}, ["'knowledge'", "general, private_static, private_dynamic"]),
        ({"labelled_examples": "many"}, ["'labelled_examples'", "a whole number"]),
    ],
)
def test_bad_answers_exit_2_with_one_clear_line(
    run_cli: Run, tmp_path: Path, change: dict[str, Any], fragments: list[str]
) -> None:
    path = write_answers(tmp_path / "answers.json", {**BASE_ANSWERS, **change})
    result = run_cli("recommend", "--answers", str(path))
    assert_clean_error(result, str(path), *fragments)
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("bad.json", '{"knowledge": "general",,}', "not valid JSON"),
        ("bad.toml", 'knowledge = "general\n', "not valid TOML"),
        ("list.json", "[1, 2]", "expected an object/table"),
    ],
)
def test_malformed_files_exit_2(
    run_cli: Run, tmp_path: Path, name: str, content: str, fragment: str
) -> None:
    (tmp_path / name).write_text(content)
    assert_clean_error(run_cli("recommend", "--answers", name), name, fragment)


def test_missing_file_and_missing_answers(run_cli: Run, tmp_path: Path) -> None:
    assert_clean_error(run_cli("recommend", "--answers", "nope.json"), "nope.json", "not found")
    partial = write_answers(tmp_path / "partial.json", {"knowledge": "general"})
    result = run_cli("recommend", "--answers", str(partial))
    assert_clean_error(
        result, "missing answer 'behavior'", "missing answer 'model_access'", "--set"
    )


def test_broken_rule_file_exits_2_naming_file_and_place(
    run_cli: Run, rules_copy: tuple[Path, Path], tmp_path: Path
) -> None:
    rules, kb = rules_copy
    (rules / "extra.toml").write_text(
        '[[rule]]\nid = "oops"\nwhen = "knowledge == secret"\nthen = "tactic:few_shot"\n'
        'because = "x"\ncite = ["kb/rag.md#when-retrieval-is-the-answer"]\n'
    )
    path = write_answers(tmp_path / "a.json", BASE_ANSWERS)
    result = run_cli("--rules", str(rules), "--kb", str(kb), "recommend", "--answers", str(path))
    assert_clean_error(
        result, "extra.toml", "rule 'oops'", "'secret' is not a value of 'knowledge'"
    )


def test_schema_is_valid_json_schema_and_validates_real_data(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli("schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate(BASE_ANSWERS)
    validator.validate(tomllib.loads((ROOT / "examples" / "support-bot.toml").read_text()))
    assert not validator.is_valid({**BASE_ANSWERS, "knowledge": "secret"})
    assert not validator.is_valid({**BASE_ANSWERS, "typo": 1})
    assert not validator.is_valid({})  # a complete answers file needs the unconditional answers
    assert not validator.is_valid({**BASE_ANSWERS, "data_shapes": []})
    assert not validator.is_valid({**BASE_ANSWERS, "data_shapes": ["tables", "tables"]})
    no_shapes = {k: v for k, v in BASE_ANSWERS.items() if k != "data_shapes"}
    assert not validator.is_valid(no_shapes)  # asked for private knowledge (issue 14)
    assert validator.is_valid({**no_shapes, "knowledge": "general"})
    assert "Recommendation" in schema["$defs"]

    rec_schema = json.loads(run_cli("schema", "--for", "recommendation").stdout)
    jsonschema.Draft202012Validator.check_schema(rec_schema)
    path = write_answers(tmp_path / "a.json", {**BASE_ANSWERS, "knowledge": "private_dynamic"})
    output = json.loads(run_cli("recommend", "--answers", str(path), "--format", "json").stdout)
    jsonschema.validate(output, rec_schema)


def test_schema_describes_each_question(run_cli: Run) -> None:
    import advisor

    schema = json.loads(run_cli("schema", "--for", "answers").stdout)
    rulebase = advisor.load_rulebase()
    for question in rulebase.questions:
        prop = schema["properties"][question.id]
        assert question.text in prop["description"]
        assert prop["x-asked-when"] == question.asked_when_text


def test_help_lists_commands(run_cli: Run) -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    assert "recommend" in result.stdout and "schema" in result.stdout


def test_unwritable_output_is_bad_input_not_a_crash(run_cli: Run, tmp_path: Path) -> None:
    path = write_answers(tmp_path / "a.json", BASE_ANSWERS)
    (tmp_path / "docs").mkdir()
    assert_clean_error(
        run_cli("recommend", "--answers", str(path), "--output", "docs"),
        "cannot write docs: it is a folder",
    )
    (tmp_path / "file").write_text("x")
    assert_clean_error(
        run_cli("recommend", "--answers", str(path), "--output", "file/below/out.json"),
        "cannot write file/below/out.json",
    )


def test_an_internal_error_exits_3_not_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bug must never read as a result (1 is 'found something', e.g. a stale record)."""
    from advisor.cli import main as cli_main
    from advisor.engine import decide as decide_module

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(decide_module, "_decided", broken)
    monkeypatch.delenv("ADVISOR_DEBUG", raising=False)
    code = cli_main.main(["recommend", "--answers", str(ROOT / "examples" / "support-bot.toml")])
    assert code == 3
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: simulated bug" in err and "ADVISOR_DEBUG=1" in err


def test_a_run_imports_only_its_own_command(tmp_path: Path) -> None:
    """The parser adds the arguments of the command named (options before it skipped, as
    argparse reads them), so running one command imports no other command's module."""
    import subprocess
    import sys

    example = str(ROOT / "examples" / "support-bot.toml")
    code = (
        "import sys\n"
        "from advisor.cli.main import main\n"
        "code = main(sys.argv[1:])\n"
        "print(sorted(m for m in sys.modules if m.startswith('advisor.cli.')), code, "
        "file=sys.stderr)\n"
    )
    for argv, command in [
        (["recommend", "--answers", example, "--format", "json"], "recommend"),
        (["--rules", str(ROOT / "rules"), "explain", "--answers", example], "explain"),
        (["--kb=" + str(ROOT / "kb"), "why", "stakes", "--answers", example], "why"),
        (
            ["--rul", str(ROOT / "rules"), "review", "--answers", example, "--proposal", "rag"],
            "review",
        ),
    ]:
        out = subprocess.run(
            [sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=60
        )
        loaded = out.stderr.strip().splitlines()[-1]
        commands = {
            f"advisor.cli.{name}"
            for name in (
                "ask",
                "recommend",
                "schema",
                "check",
                "questions",
                "lint",
                "explain",
                "whatif",
                "review",
                "why",
                "test",
                "mcp",
            )
        }
        assert f"'advisor.cli.{command}'" in loaded, (argv, out.stderr)
        others = {m for m in commands - {f"advisor.cli.{command}"} if f"'{m}'" in loaded}
        assert others == set(), (argv, others)
        assert loaded.endswith(" 0") or loaded.endswith(" 1"), (argv, out.stderr)


def test_command_help_and_errors_still_work(run_cli: Run) -> None:
    helped = run_cli("whatif", "--help")
    assert helped.returncode == 0 and "--target" in helped.stdout
    listed = run_cli("--help")
    assert listed.returncode == 0 and "whatif" in listed.stdout and "--target" not in listed.stdout
    wrong = run_cli("recomend")
    assert wrong.returncode == 2
    assert "unknown command 'recomend'; did you mean 'recommend'?" in wrong.stderr
    assert "Traceback" not in wrong.stderr
    far = run_cli("--rules", "rules", "xyzzy")
    assert far.returncode == 2 and "unknown command 'xyzzy'" in far.stderr
    assert "did you mean" not in far.stderr and "command's option" not in far.stderr
    early = run_cli("--format", "json", "recommend")  # a command's option before the command
    assert early.returncode == 2
    assert "'--format json' looks like a command's option: put it after the command" in (
        early.stderr
    )
    unknown = run_cli("recommend", "--nope")
    assert unknown.returncode == 2 and "--nope" in unknown.stderr


def test_a_double_dash_before_the_command_is_accepted(run_cli: Run) -> None:
    example = str(ROOT / "examples" / "support-bot.toml")
    plain = run_cli("recommend", "--answers", example, "--format", "json")
    dashed = run_cli("--", "recommend", "--answers", example, "--format", "json")
    assert plain.returncode == dashed.returncode == 0, dashed.stderr
    assert dashed.stdout == plain.stdout


def test_an_empty_answers_file_is_called_empty(run_cli: Run, tmp_path: Path) -> None:
    empty = tmp_path / "answers.toml"
    empty.write_text("# to be filled in\n")
    out = run_cli("recommend", "--answers", str(empty))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    first = out.stderr.splitlines()[0]
    assert first.startswith(f"advisor: error: {empty}: ") and "none is given" in first
    assert "missing answer 'knowledge'" in out.stderr and "advisor ask --save-answers" in out.stderr
    partial = tmp_path / "partial.toml"
    partial.write_text('knowledge = "general"\n')
    some = run_cli("recommend", "--answers", str(partial))
    assert some.returncode == 2 and "none is given" not in some.stderr
    assert "answers are missing" in some.stderr and "pass --set id=value" in some.stderr


def test_a_scenario_file_stands_for_its_answers(run_cli: Run, tmp_path: Path) -> None:
    """`advisor test`'s scenario files hold the answers in an [answers] table: every command
    that takes an answers file reads that table, and a file that only looks similar is not."""
    scenario = ROOT / "tests" / "scenarios" / "morgan_stanley_debrief_meeting_notes.toml"
    answers = tomllib.loads(scenario.read_text(encoding="utf-8"))["answers"]
    plain = write_answers(tmp_path / "a.json", answers)
    direct = run_cli("recommend", "--answers", str(scenario), "--format", "json")
    via = run_cli("recommend", "--answers", str(plain), "--format", "json")
    assert direct.returncode == via.returncode == 0, direct.stderr
    assert direct.stdout == via.stdout
    odd = tmp_path / "odd.toml"
    odd.write_text('knowledge = "general"\n[answers]\nbehavior = "default"\n[expect]\n')
    refused = run_cli("recommend", "--answers", str(odd))
    assert refused.returncode == 2 and "unknown answer id 'answers'" in refused.stderr
