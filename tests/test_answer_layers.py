"""Answer layers: one precedence (--set > answers file > record > questionnaire > partial file >
defaults), each answer's provenance, and error messages that name the right source."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from advisor.cli.main import main
from advisor.engine.decide import walk
from advisor.errors import AnswersError
from advisor.knowledge.rulebase import RuleBase
from advisor.services.answer_files import answers_text, dump_toml
from advisor.services.answers import (
    ANSWERS_FILE,
    COMMAND_LINE,
    DEFAULTS,
    LAYERS,
    PARTIAL,
    QUESTIONNAIRE,
    RECORD,
    AnswerLayers,
    Layer,
    Provenance,
    defaults_layer,
    gather,
)


def every_layer() -> AnswerLayers:
    """Each layer answers `a` (and one more id of its own), given in scrambled order."""
    names = [PARTIAL, COMMAND_LINE, DEFAULTS, RECORD, QUESTIONNAIRE, ANSWERS_FILE]
    return AnswerLayers(
        Layer(name, f"src-{i}", {"a": name, f"only_{i}": i}) for i, name in enumerate(names)
    )


def test_each_layer_outranks_the_ones_below_it() -> None:
    layers = every_layer()
    assert [layer.name for layer in layers.layers] == list(LAYERS)
    expected = list(LAYERS)
    while expected:
        top = expected[0]
        value, provenance = layers.lookup("a") or (None, None)
        assert value == top and provenance is not None and provenance.layer == top
        layers = AnswerLayers(layer for layer in layers.layers if layer.name != top)
        expected.pop(0)
    assert layers.lookup("a") is None


def test_provenance_names_the_layer_and_its_source() -> None:
    layers = every_layer()
    assert layers.provenance("only_5") == Provenance(ANSWERS_FILE, "src-5")
    assert layers.provenance("only_1") == Provenance(COMMAND_LINE, "src-1")
    assert layers.provenance("missing") is None
    assert str(Provenance(COMMAND_LINE, COMMAND_LINE)) == "command line"


def test_given_leaves_the_defaults_out_and_the_mapping_keeps_them() -> None:
    layers = every_layer()
    assert "only_2" not in layers.given()  # the defaults layer's own id
    assert layers["only_2"] == 2 and "only_2" in layers
    assert layers.given()["a"] == COMMAND_LINE
    assert len(layers) == 7


def test_layers_are_immutable_and_changes_return_new_layers() -> None:
    layers = AnswerLayers(
        [Layer(COMMAND_LINE, COMMAND_LINE, {"a": 1}), Layer(DEFAULTS, "rules", {"a": 0})]
    )
    with pytest.raises(TypeError):
        layers.layers[0].values["a"] = 2  # type: ignore[index]
    changed = layers.with_answer(QUESTIONNAIRE, "a", 5)
    assert layers["a"] == 1  # unchanged
    assert changed.lookup("a") == (5, Provenance(QUESTIONNAIRE, QUESTIONNAIRE))
    assert changed.without("a").lookup("a") == (0, Provenance(DEFAULTS, "rules"))
    with pytest.raises(ValueError, match="unknown answer layer"):
        Layer("somewhere", "x", {})


def test_label_names_the_file_and_the_command_line() -> None:
    file = Layer(ANSWERS_FILE, "a.toml", {})
    setting = Layer(COMMAND_LINE, COMMAND_LINE, {"x": 1})
    record = Layer(RECORD, "decision.md", {})
    partial = Layer(PARTIAL, "a.partial.toml", {})
    assert AnswerLayers().label == "command line"
    assert AnswerLayers([setting]).label == "command line"
    assert AnswerLayers([file]).label == "a.toml"
    assert AnswerLayers([file, setting]).label == "a.toml with --set"
    assert AnswerLayers([record, setting]).label == "decision.md with --set"
    assert AnswerLayers([partial, setting]).label == "a.partial.toml with --set"


def test_validated_answers_stay_in_the_layer_that_gave_them(rulebase: RuleBase) -> None:
    layers = AnswerLayers(
        [
            Layer(ANSWERS_FILE, "a.toml", {"knowledge": "general", "data_shapes": ["documents"]}),
            Layer(COMMAND_LINE, COMMAND_LINE, {"knowledge": "private_static"}),
            defaults_layer(rulebase),
        ]
    ).validated(rulebase)
    assert layers.lookup("knowledge") == ("private_static", Provenance(COMMAND_LINE, COMMAND_LINE))
    assert layers.lookup("data_shapes") == (
        frozenset({"documents"}),
        Provenance(ANSWERS_FILE, "a.toml"),
    )
    assert "knowledge" not in layers.layers[1].values  # overridden: dropped from the file layer
    base_model_eval = layers.lookup("base_model_eval")
    assert base_model_eval is not None and base_model_eval[1].layer == DEFAULTS


def test_validation_errors_name_the_file_with_set(rulebase: RuleBase) -> None:
    layers = AnswerLayers(
        [
            Layer(ANSWERS_FILE, "a.toml", {"knowledge": "general"}),
            Layer(COMMAND_LINE, COMMAND_LINE, {"citations": "perhaps"}),
        ]
    )
    with pytest.raises(AnswersError) as caught:
        layers.validated(rulebase)
    assert caught.value.source == "a.toml with --set"


def test_gather_reads_each_source_into_its_layer(
    tmp_path: Path, rulebase: RuleBase, answers: dict[str, Any]
) -> None:
    partial = tmp_path / "a.partial.toml"
    partial.write_text(dump_toml({"knowledge": "general", "behavior": "default"}), "utf-8")
    layers = gather(
        rulebase,
        settings=["latency_budget_ms=2 s"],
        answers_file="-",
        stdin_text='{"knowledge": "private_static"}',
        partial=partial,
    )
    assert layers.lookup("latency_budget_ms") == (2000, Provenance(COMMAND_LINE, COMMAND_LINE))
    assert layers.provenance("knowledge") == Provenance(ANSWERS_FILE, "<stdin>")
    assert layers.provenance("behavior") == Provenance(PARTIAL, str(partial))
    assert layers.label == "<stdin> with --set"
    with pytest.raises(AnswersError, match="no saved answers to resume"):
        gather(rulebase, partial=tmp_path / "none.partial.toml")


def _error_of(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    return capsys.readouterr().err


def test_recommend_names_the_source_of_a_bad_answer(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answers: dict[str, Any],
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a.toml").write_text(dump_toml(answers), "utf-8")
    bad = ["--set", "citations=perhaps"]
    assert "error: a.toml with --set: 'citations'" in _error_of(
        ["recommend", "--answers", "a.toml", *bad], capsys
    )
    assert "error: command line: 'citations'" in _error_of(["recommend", *bad], capsys)
    assert (
        main(["recommend", "--answers", "a.toml", "--format", "markdown", "--output", "d.md"]) == 0
    )
    assert "error: d.md with --set: 'citations'" in _error_of(
        ["recommend", "--from-record", "d.md", *bad], capsys
    )
    Path("b.toml").write_text('knowledge = "nope"\n', "utf-8")
    assert "error: b.toml: 'knowledge'" in _error_of(["recommend", "--answers", "b.toml"], capsys)


def test_set_overrides_a_record_and_the_record_keeps_its_answers(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answers: dict[str, Any],
) -> None:
    monkeypatch.chdir(tmp_path)
    del answers["model_access"]  # not reached: a record keeps only the answers the walk used
    Path("a.toml").write_text(dump_toml(answers), "utf-8")
    main(["recommend", "--answers", "a.toml", "--format", "markdown", "--output", "d.md"])
    capsys.readouterr()
    setting = ["--set", "latency_budget_ms=250"]
    assert main(["recommend", "--from-record", "d.md", *setting, "--format", "json"]) == 0
    from_record = capsys.readouterr().out
    assert main(["recommend", "--answers", "a.toml", *setting, "--format", "json"]) == 0
    assert from_record == capsys.readouterr().out
    assert '"latency_budget_ms": 250' in from_record


# -- answers the walk does not reach are kept in saved answers files ------------------------


def test_answers_text_keeps_unreached_answers(rulebase: RuleBase, answers: dict[str, Any]) -> None:
    answers["knowledge"] = "general"  # data_shapes, knowledge_volume, citations: not reached
    unreached = {s.id for s in walk(answers, rulebase).statuses if s.status == "ignored"}
    assert {"data_shapes", "citations"} <= unreached
    saved = tomllib.loads(answers_text(answers, rulebase, Path("x.toml")))
    assert saved == {q.id: answers[q.id] for q in rulebase.questions if q.id in answers}


def test_ask_without_a_terminal_saves_unreached_answers(
    run_cli: Any, tmp_path: Path, rulebase: RuleBase, answers: dict[str, Any]
) -> None:
    answers["project"] = "demo"
    (tmp_path / "given.toml").write_text(dump_toml(answers), "utf-8")
    unreached = [s.id for s in walk(answers, rulebase).statuses if s.status == "ignored"]
    assert unreached  # model_access: asked only with a behaviour gap
    result = run_cli("ask", "--answers", "given.toml", "--save-answers", "saved.toml")
    assert result.returncode == 0, result.stderr
    saved = tomllib.loads((tmp_path / "saved.toml").read_text(encoding="utf-8"))
    assert saved == answers


def test_services_keep_heavy_imports_off_the_start_up_path() -> None:
    code = (
        "import sys\n"
        "import advisor.services.answers, advisor.services.answer_files\n"
        "import advisor.services.files, advisor.services.schema\n"
        "from advisor.cli.main import build_parser\n"
        "build_parser()\n"
        "heavy = {'pydantic', 'questionary', 'prompt_toolkit', 'networkx', 'markdown_it'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
