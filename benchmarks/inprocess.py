"""In-process figures: advise() on the shipped rules, next_question(), the reference rule base.

Inputs are the `[answers]` tables of tests/scenarios/*.toml (valid under the current rules),
topped up with examples/ and answers generated from the question data when there are few.
"""

from __future__ import annotations

import cProfile
import importlib.util
import io
import pstats
import random
import sys
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

from timing import Figure, interleaved, per_call

from advisor.engine.assemble import advise
from advisor.engine.decide import fired_rules, next_question, walk
from advisor.errors import AdvisorError
from advisor.knowledge.answers import answers_model, validate_answers
from advisor.knowledge.loader import default_rulebase, load_rulebase
from advisor.knowledge.rulebase import RuleBase
from advisor.services.answer_files import read_answers_file

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = Path(__file__).resolve().parent / "reference"
SHARED_ORACLE = ROOT.parent / "shared" / "bench" / "reference_rules.py"
MIN_INPUTS = 30


def scenario_answers(rulebase: RuleBase) -> tuple[list[dict[str, Any]], str]:
    """Valid answer sets: scenarios first, then examples, then generated ones; and their origin."""
    found: list[dict[str, Any]] = []
    counts = {"scenarios": 0, "examples": 0, "generated": 0}
    for path in sorted((ROOT / "tests" / "scenarios").glob("*.toml")):
        answers = tomllib.loads(path.read_text(encoding="utf-8")).get("answers")
        if isinstance(answers, dict) and _valid(answers, rulebase):
            found.append(answers)
            counts["scenarios"] += 1
    if len(found) < MIN_INPUTS:
        for path in sorted((ROOT / "examples").glob("*")):
            try:
                answers = read_answers_file(str(path))
            except AdvisorError:
                continue
            if _valid(answers, rulebase):
                found.append(answers)
                counts["examples"] += 1
    rng = random.Random(5)
    while len(found) < MIN_INPUTS:
        answers = generated_answers(rulebase, rng)
        found.append(answers)
        counts["generated"] += 1
    origin = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n)
    return found, origin


def _valid(answers: dict[str, Any], rulebase: RuleBase) -> bool:
    try:
        advise(answers, rulebase)
    except AdvisorError:
        return False
    return True


def generated_answers(rulebase: RuleBase, rng: random.Random) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for q in rulebase.questions:
        if q.kind == "choice":
            answers[q.id] = rng.choice(q.values)
        elif q.kind == "bool":
            answers[q.id] = rng.random() < 0.5
        elif q.kind == "set":
            answers[q.id] = rng.sample(list(q.values), rng.randint(q.min_choices, len(q.values)))
        else:
            low = q.minimum if q.minimum is not None else 0
            high = q.maximum if q.maximum is not None else 100_000
            answers[q.id] = rng.randint(low, min(high, low + 100_000))
    return answers


def partial_answers(inputs: list[dict[str, Any]], rulebase: RuleBase) -> list[dict[str, Any]]:
    """Each input cut after every question of its walk: what a questionnaire passes along."""
    out: list[dict[str, Any]] = []
    for answers in inputs:
        so_far: dict[str, Any] = {}
        for question in rulebase.questions:
            out.append(dict(so_far))
            if question.id in answers:
                so_far[question.id] = answers[question.id]
    return out


def engine_figures(rounds: int) -> tuple[list[Figure], str]:
    rulebase = default_rulebase()
    inputs, origin = scenario_answers(rulebase)
    model = answers_model(rulebase)
    models = [model(**answers) for answers in inputs]
    figures = [
        per_call(
            "advise() from a plain dict (validation included)",
            lambda a: advise(a, rulebase),
            inputs,
            rounds,
        ),
        per_call(
            "advise() from a validated Answers model", lambda m: advise(m, rulebase), models, rounds
        ),
        per_call(
            "next_question() on partial answers",
            lambda a: next_question(a, rulebase),
            partial_answers(inputs, rulebase),
            max(1, rounds // 4),
        ),
    ]
    effective = [walk(validate_answers(a, rulebase), rulebase).effective for a in inputs]
    figures.append(
        per_call(
            "fired_rules() alone (evaluation step)",
            lambda e: fired_rules(e, rulebase),
            effective,
            rounds,
        )
    )
    note = f"{len(inputs)} answer sets ({origin}); {len(rulebase.rules)} rules"
    return figures, note


def advise_profile(rounds: int) -> str:
    """cProfile of advise() over the inputs, top functions by own time."""
    rulebase = default_rulebase()
    inputs, _ = scenario_answers(rulebase)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(rounds):
        for answers in inputs:
            advise(answers, rulebase)
    profiler.disable()
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer)
    stats.strip_dirs().sort_stats("tottime").print_stats(12)
    text = buffer.getvalue()
    return text[text.index("ncalls") :].rstrip() if "ncalls" in text else text


# --------------------------------------------------------------------------- reference base


def load_oracle() -> tuple[ModuleType, str]:
    """The reference oracle: the shared copy when present (checked equal to ours), else ours."""
    vendored = REFERENCE / "reference_rules.py"
    path = vendored
    note = "vendored copy benchmarks/reference/reference_rules.py"
    if SHARED_ORACLE.is_file():
        same = SHARED_ORACLE.read_bytes() == vendored.read_bytes()
        path = SHARED_ORACLE
        note = "../shared/bench/reference_rules.py" + ("" if same else " (differs from vendored!)")
    spec = importlib.util.spec_from_file_location("reference_rules", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["reference_rules"] = module
    spec.loader.exec_module(module)
    return module, note


def reference_figures(count: int, rounds: int) -> tuple[list[Figure], str, int]:
    """Oracle vs our engine on the ported reference base, same profiles, same run.

    Returns the figures, a note, and how many profiles were checked for identical outputs
    (raises AssertionError on the first difference).
    """
    oracle, origin = load_oracle()
    rulebase = load_rulebase(REFERENCE / "rules", REFERENCE / "kb")
    outputs = {
        k: tuple(v)
        for k, v in tomllib.loads((REFERENCE / "outputs.toml").read_text(encoding="utf-8")).items()
    }
    expected = {r["reason"]: (r["technique"], r["reason"]) for r in oracle.RULES}
    assert outputs == expected, "benchmarks/reference/outputs.toml does not match the oracle"
    checked = oracle.profiles(2000, 1)
    for profile in checked:
        want = oracle.oracle(profile)
        got = frozenset(outputs[rule.id] for rule in fired_rules(profile, rulebase))
        assert got == want, f"fired_rules differs from the oracle on {profile}: {got ^ want}"
        trace = advise(profile, rulebase).trace
        got = frozenset(outputs[step.id] for step in trace if step.kind == "fired")
        assert got == want, f"advise() differs from the oracle on {profile}: {got ^ want}"
    for profile in oracle.profiles(1000, 3):  # warm-up set
        oracle.oracle(profile)
        fired_rules(profile, rulebase)
    timing = oracle.profiles(count, 2)
    figures = interleaved(
        {
            "oracle (plain-Python lambdas)": oracle.oracle,
            "our engine: fired_rules()": lambda p: frozenset(
                outputs[r.id] for r in fired_rules(p, rulebase)
            ),
            "our engine: advise() (validation, walk, explanation)": lambda p: advise(p, rulebase),
        },
        timing,
        rounds,
    )
    note = (
        f"{len(rulebase.rules)} rules; {count:,} timing profiles (seed 2) x {rounds}; "
        f"outputs identical on {len(checked):,} profiles (seed 1); oracle: {origin}"
    )
    return list(figures.values()), note, len(checked)
