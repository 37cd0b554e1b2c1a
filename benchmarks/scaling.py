"""Scaling: generated rule bases of 10 to 10,000 rules; load, cache and per-evaluation times.

The generated bases have 24 questions (16 one-choice questions with 2 to 20 values, 4 yes/no,
2 numbers, 2 many-choice) and rules of one to four random conjuncts (`q == v`, `q in {..}`,
`q != v`, `b`, `n >= k`, `s has v`, and an `or` across two questions in one rule out of ten).
Evaluation is `fired_rules()` on random complete answers; the naive column tests every rule's
condition in turn, which is what the rule index saves. `advise()` is the whole call (validation,
walk, evaluation, the Recommendation) on the same answers. Load (parse) reads every file with the
disk cache off; cache write is `cache.store()` alone (encoding and writing the entry); load (cache)
is `load_rulebase()` with a warm entry (content hash and decoding). Both loads are also timed with
the garbage collector paused, to show what collections cost while a rule base's objects are built.
Each load figure is the median of several loads, a collection before each.
"""

from __future__ import annotations

import gc
import os
import random
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from timing import once, per_call

from advisor.engine.assemble import advise
from advisor.engine.decide import fired_rules
from advisor.knowledge import cache
from advisor.knowledge.loader import load_rulebase
from advisor.knowledge.rulebase import RuleBase


@dataclass(frozen=True)
class Scale:
    rules: int
    parse_s: float
    parse_no_gc_s: float
    store_s: float
    cached_s: float
    cached_no_gc_s: float
    eval_median_s: float
    eval_p95_s: float
    naive_median_s: float
    advise_median_s: float
    advise_p95_s: float
    candidates: float
    fired: float


def _questions(rng: random.Random) -> tuple[str, dict[str, Any]]:
    shapes: dict[str, Any] = {}
    parts = []
    for n in range(16):
        values = [f"v{k}" for k in range(2 + (n * 18) // 15)]
        shapes[f"c{n}"] = ("choice", values)
        choices = ", ".join(f'{{ value = "{v}" }}' for v in values)
        parts.append(
            f'[[question]]\nid = "c{n}"\ntype = "choice"\ntext = "C{n}?"\nwhy = "x"\n'
            f"choices = [{choices}]\n"
        )
    for n in range(4):
        shapes[f"b{n}"] = ("bool", [])
        parts.append(f'[[question]]\nid = "b{n}"\ntype = "bool"\ntext = "B{n}?"\nwhy = "x"\n')
    for n in range(2):
        shapes[f"n{n}"] = ("int", [])
        parts.append(
            f'[[question]]\nid = "n{n}"\ntype = "int"\ntext = "N{n}?"\nwhy = "x"\n'
            "min = 0\nmax = 10000\n"
        )
    for n in range(2):
        values = [f"s{k}" for k in range(5)]
        shapes[f"s{n}"] = ("set", values)
        choices = ", ".join(f'{{ value = "{v}" }}' for v in values)
        parts.append(
            f'[[question]]\nid = "s{n}"\ntype = "set"\ntext = "S{n}?"\nwhy = "x"\n'
            f"choices = [{choices}]\n"
        )
    return "\n".join(parts), shapes


def _test(rng: random.Random, shapes: dict[str, Any]) -> str:
    qid = rng.choice(list(shapes))
    kind, values = shapes[qid]
    if kind == "choice":
        form = rng.random()
        if form < 0.7:
            return f"{qid} == {rng.choice(values)}"
        if form < 0.9:
            return f"{qid} in {{{', '.join(rng.sample(values, min(2, len(values))))}}}"
        return f"{qid} != {rng.choice(values)}"
    if kind == "bool":
        return qid if rng.random() < 0.5 else f"not {qid}"
    if kind == "int":
        return f"{qid} {rng.choice(['>=', '<'])} {rng.choice([10, 100, 1000, 5000])}"
    return f"{qid} has {rng.choice(values)}"


def generate(folder: Path, rules: int, seed: int) -> dict[str, Any]:
    """Write a rule base of `rules` rules under `folder`; return the question shapes."""
    rng = random.Random(seed)
    (folder / "rules").mkdir(parents=True)
    (folder / "kb").mkdir()
    questions, shapes = _questions(rng)
    (folder / "rules" / "questions.toml").write_text(questions, encoding="utf-8")
    (folder / "kb" / "g.md").write_text("# G\n\n## Generated\n\nText.\n", encoding="utf-8")
    out = [
        '[[rule]]\nid = "baseline"\nwhen = "true"\nthen = "technique:prompt_engineering"\n'
        'because = "x"\ncite = ["kb/g.md#generated"]\n'
    ]
    for n in range(rules - 1):
        parts = [_test(rng, shapes) for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.1:
            parts.append(f"({_test(rng, shapes)} or {_test(rng, shapes)})")
        out.append(
            f'[[rule]]\nid = "r{n}"\nwhen = "{" and ".join(parts)}"\n'
            'then = "note:prompt_engineering"\nbecause = "x"\n'
            'cite = ["kb/g.md#generated"]\n'
        )
    (folder / "rules" / "generated.toml").write_text("\n".join(out), encoding="utf-8")
    return shapes


def profiles(shapes: dict[str, Any], count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        answers: dict[str, Any] = {}
        for qid, (kind, values) in shapes.items():
            if kind == "choice":
                answers[qid] = rng.choice(values)
            elif kind == "bool":
                answers[qid] = rng.random() < 0.5
            elif kind == "int":
                answers[qid] = rng.randint(0, 10000)
            else:
                answers[qid] = frozenset(rng.sample(values, rng.randint(0, len(values))))
        out.append(answers)
    return out


@contextmanager
def _env(**values: str | None) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _timed(function: Callable[[], Any], repeat: int) -> float:
    """Median wall time of `function()`, with a collection before each run."""
    return statistics.median(once(function, repeat))


def _paused(function: Callable[[], Any], repeat: int) -> float:
    """`_timed` with the garbage collector paused."""
    gc.disable()
    try:
        return _timed(function, repeat)
    finally:
        gc.enable()


def measure(folder: Path, rules: int, evaluations: int, repeat: int) -> Scale:
    """Load (parse), cache write, cache load (median of `repeat` each), evaluation, advise()."""
    shapes = generate(folder, rules, seed=rules)
    rules_dir, kb_dir = folder / "rules", folder / "kb"
    with _env(ADVISOR_NO_CACHE="1"):
        rulebase = load_rulebase(rules_dir, kb_dir)
        parse_s = _timed(lambda: load_rulebase(rules_dir, kb_dir), repeat)
        parse_no_gc_s = _paused(lambda: load_rulebase(rules_dir, kb_dir), repeat)
    with _env(ADVISOR_NO_CACHE=None, ADVISOR_CACHE_DIR=str(folder / "cache")):
        store_s = _timed(lambda: cache.store(rulebase), repeat)
        cached = load_rulebase(rules_dir, kb_dir)
        cached_s = _timed(lambda: load_rulebase(rules_dir, kb_dir), repeat)
        cached_no_gc_s = _paused(lambda: load_rulebase(rules_dir, kb_dir), repeat)
    assert cached.rules == rulebase.rules, "the cache entry does not give the same rules"
    inputs = profiles(shapes, evaluations, seed=1)
    for answers in inputs[:50]:
        fired_rules(answers, rulebase)
    clock = time.perf_counter_ns
    samples, naive = [], []
    candidates = fired = 0
    tests = [test for _, test in rulebase.compiled]
    naive_inputs = inputs[: max(20, evaluations // max(1, rules // 100))]
    for answers in inputs:
        start = clock()
        result = fired_rules(answers, rulebase)
        samples.append((clock() - start) / 1e9)
        fired += len(result)
        candidates += len(rulebase.rule_index.candidates(answers))
    for answers in naive_inputs:
        start = clock()
        [t for t in tests if t(answers) is True]
        naive.append((clock() - start) / 1e9)
    advice = per_call(
        "advise()",
        lambda a: advise(a, rulebase),
        inputs[: max(50, evaluations // max(1, rules // 100))],
        1,
    )
    ordered = sorted(samples)
    return Scale(
        rules=len(rulebase.rules),
        parse_s=parse_s,
        parse_no_gc_s=parse_no_gc_s,
        store_s=store_s,
        cached_s=cached_s,
        cached_no_gc_s=cached_no_gc_s,
        eval_median_s=statistics.median(samples),
        eval_p95_s=ordered[round(0.95 * (len(ordered) - 1))],
        naive_median_s=statistics.median(naive),
        advise_median_s=advice.median,
        advise_p95_s=advice.p95,
        candidates=candidates / len(inputs),
        fired=fired / len(inputs),
    )


def check_exact(rulebase: RuleBase, inputs: list[dict[str, Any]]) -> None:
    """The index gives exactly the rules a full scan gives, in the same order."""
    for answers in inputs:
        expected = [rule for rule, test in rulebase.compiled if test(answers) is True]
        assert fired_rules(answers, rulebase) == expected
