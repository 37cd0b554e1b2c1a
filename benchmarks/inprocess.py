"""In-process figures: advise() on the shipped rules, next_question(), the reference rule base.

Scenario inputs are the `[answers]` tables of tests/scenarios/*.toml (valid under the current
rules), topped up with examples/ and answers generated from the question data when there are few.
Varied inputs (`varied_answers`) are drawn with a seeded RNG across the whole answer space,
question by question in walk order, answering only the questions the walk reaches.
"""

from __future__ import annotations

import cProfile
import gc
import importlib.util
import math
import pstats
import random
import sys
import tomllib
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from timing import Figure, fresh_blocks, interleaved, per_call, profile_lines

from advisor.analysis.answer_space import UNREACHED, answer_space
from advisor.engine.assemble import advise
from advisor.engine.decide import decide, fired_rules, next_question, walk
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


@dataclass(frozen=True)
class Profile:
    by_own: str
    by_cumulative: str
    heaviest: list[tuple[str, float]]
    """The functions with the largest own time and their share of the profiled time."""


def advise_profile(inputs: list[dict[str, Any]], rounds: int, top: int = 15) -> Profile:
    """cProfile of advise() over the inputs: top functions by own time, and by cumulative time."""
    rulebase = default_rulebase()
    for answers in inputs:
        advise(answers, rulebase)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(rounds):
        for answers in inputs:
            advise(answers, rulebase)
    profiler.disable()
    stats = pstats.Stats(profiler)
    out = [profile_lines(stats, order, top) for order in ("tottime", "cumulative")]
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in table.values()) or 1.0
    ranked = sorted(table.items(), key=lambda item: -item[1][2])[:5]
    heaviest = [
        (name if file == "~" else f"{Path(file).name}:{line}({name})", entry[2] / total)
        for (file, line, name), entry in ranked
    ]
    return Profile(out[0], out[1], heaviest)


# --------------------------------------------------------------------------- varied answers


VARIED_SEED = 9


def varied_answers(rulebase: RuleBase, count: int, seed: int = VARIED_SEED) -> list[dict[str, Any]]:
    """`count` complete, valid answer sets drawn across the answer space (seeded).

    Questions are visited in walk order; each one the walk reaches (given the answers drawn so
    far) is answered, one with a default left out three times in ten; an unreached one is never
    answered. Values: any choice; any subset of a many-choice question's values (half the time
    one of `answer_space` representatives, which split at the values conditions name); numbers
    half the time an `answer_space` representative (either side of every threshold the rules
    compare with), else a preset or a log-uniform draw within the question's range.
    """
    rng = random.Random(seed)
    space = answer_space(rulebase)
    representatives = {
        q.id: [v for v in values if v is not UNREACHED]
        for q, values in zip(space.questions, space.answers, strict=True)
    }
    out = []
    for _ in range(count):
        answers: dict[str, Any] = {}
        for question in rulebase.questions:
            walked = walk(validate_answers(answers, rulebase), rulebase)
            status = next((s.status for s in walked.statuses if s.id == question.id), None)
            if status is None:  # no answer yet and the walk reaches it
                assert question in walked.missing and question.id not in walked.maybe_needed
            elif status == "skipped":
                continue
            elif status == "defaulted":
                if rng.random() < 0.3:
                    continue
            else:
                raise AssertionError(f"{question.id}: {status} before it was answered")
            answers[question.id] = _draw(question, representatives[question.id], rng)
        out.append(answers)
    return out


def _draw(question: Any, representatives: list[Any], rng: random.Random) -> Any:
    if question.kind == "choice":
        return rng.choice(question.values)
    if question.kind == "bool":
        return rng.random() < 0.5
    if question.kind == "set":
        if rng.random() < 0.5:
            return sorted(rng.choice(representatives))
        size = rng.randint(question.min_choices, len(question.values))
        return sorted(rng.sample(list(question.values), size))
    pick = rng.random()
    if pick < 0.5:
        return rng.choice(representatives)
    presets = [preset.value for preset in question.presets]
    if pick < 0.75 and presets:
        return rng.choice(presets)
    low = question.minimum if question.minimum is not None else 0
    high = question.maximum if question.maximum is not None else low + 10**9
    return min(high, low + int(math.exp(rng.uniform(0.0, math.log(high - low + 1)))) - 1)


@dataclass(frozen=True)
class Varied:
    """decide() and advise() on varied answers none of them has seen before, interleaved with
    the oracle on its profiles; and both again on answers already decided once (so the kept
    parts of earlier calls are found), to show what those caches are worth."""

    oracle: Figure
    decide: Figure
    advise: Figure
    decide_again: Figure
    advise_again: Figure
    note: str


WARM_SEED = 10
"""Seed of the answers that warm the engine up (lazy tables), none of them timed."""


def varied_figures(count: int, rounds: int) -> Varied:
    """Each round times decide() and advise() on `count` answer sets of their own, drawn for
    that round, so no timed call meets answers an earlier call has seen (no kept part made
    for the same answers flatters it); a warm-up on other answers fills the lazy tables first."""
    rulebase = default_rulebase()
    oracle, _ = load_oracle()
    drawn = varied_answers(rulebase, count * rounds * 2)
    blocks = [drawn[n * count : (n + 1) * count] for n in range(rounds * 2)]
    for answers in varied_answers(rulebase, count, seed=WARM_SEED):
        advise(answers, rulebase)
    profiles = oracle.profiles(count, 2)
    again = varied_answers(rulebase, count, seed=WARM_SEED)  # advised once above
    figures = fresh_blocks(
        {
            "oracle (reference base, plain-Python lambdas)": (oracle.oracle, [profiles] * rounds),
            "decide() (validation, walk, evaluation)": (
                lambda a: decide(a, rulebase),
                blocks[:rounds],
            ),
            "advise() (decide() and the pydantic Recommendation)": (
                lambda a: advise(a, rulebase),
                blocks[rounds:],
            ),
            "decide() again on answers already decided": (
                lambda a: decide(a, rulebase),
                [again] * rounds,
            ),
            "advise() again on answers already advised": (
                lambda a: advise(a, rulebase),
                [again] * rounds,
            ),
        }
    )
    oracle_figure, decide_figure, advise_figure, decide_again, advise_again = figures.values()
    fired_sets = set()
    fired_ids: set[str] = set()
    techniques = set()
    for answers in drawn:  # every input is valid and complete: decide() raises otherwise
        decision = decide(answers, rulebase)
        fired_sets.add(tuple(rule.id for rule in decision.fired))
        fired_ids |= {rule.id for rule in decision.fired}
        techniques.add(decision.techniques)
    note = (
        f"{count:,} answer sets per round and function (seed {VARIED_SEED}) x {rounds} rounds, "
        f"every set drawn once ({len(drawn):,} in all: decide() and advise() never meet the "
        f"same answers), after a warm-up on {count:,} other sets (seed {WARM_SEED}); in blocks "
        f"of {count:,} calls alternating with the oracle on {len(profiles):,} reference "
        f"profiles (seed 2). The sets fire {len(fired_ids)} of the {len(rulebase.rules)} rules, "
        f"in {len(fired_sets):,} distinct sets, and give {len(techniques)} technique "
        f"combinations. The rows marked \"again\" time the warm-up's sets, advised once "
        f"before, in every round: each call finds the parts kept for its own answers"
    )
    return Varied(oracle_figure, decide_figure, advise_figure, decide_again, advise_again, note)


def recommendation_memory(inputs: list[dict[str, Any]]) -> tuple[float, str]:
    """Bytes held per retained Recommendation (tracemalloc), after a warm-up over the inputs."""
    rulebase = default_rulebase()
    for answers in inputs:  # fills the shared parts (trace steps, sources) and lazy tables
        advise(answers, rulebase)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [advise(answers, rulebase) for answers in inputs]
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    per = (after - before) / len(kept)
    parts = _model_parts(kept)
    note = (
        f"{len(kept):,} Recommendations from the varied answers kept in a list; tracemalloc's "
        f"traced memory after minus before, divided by {len(kept):,}, after one warm-up pass; "
        f"{parts}"
    )
    return per, note


def _model_parts(kept: list[Any]) -> str:
    """How many model objects and lists one Recommendation holds (distinct objects counted once)."""
    from pydantic import BaseModel

    seen: set[int] = set()
    models = containers = 0
    todo: list[Any] = list(kept)
    while todo:
        value = todo.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, BaseModel):
            models += 1
            todo += [getattr(value, name) for name in type(value).model_fields]
        elif isinstance(value, list | tuple | dict):
            containers += 1
            todo += list(value.values()) if isinstance(value, dict) else list(value)
    count = len(kept)
    return (
        f"per Recommendation {models / count:.1f} distinct model objects and "
        f"{containers / count:.1f} distinct lists/dicts (shared ones counted once)"
    )


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
            "our engine: decide() (validation, walk, evaluation)": lambda p: decide(p, rulebase),
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
