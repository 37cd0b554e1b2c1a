"""Analysis figures (issue 12): what_if for every outcome element of one answers object, and the
`advisor explain` / `advisor why` processes, each as a ratio to a baseline timed in the same run.

Growth with the rules: what_if over the shipped rules copied 1, 4 and 16 times (each copy's rule
ids renamed; the questions, kb, definitions and ledger shared), so the outcome elements and the
answers stay those of the shipped rules while the rules grow. What-if grows at most linearly with
the rules when the time per copy does not grow (its ratio, 16 copies to one, is at most 16x).

Standalone (not part of run.py, so the two can evolve apart): `.venv/bin/python
benchmarks/analysis.py` prints a small markdown table. Targets: what_if median at most 20 ms
(reported with its ratio to one decide() of the same answers, the figure that stays meaningful
on a noisy machine); `advisor explain` and `advisor why` at most 15x a bare `python -c pass`.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import processes

from advisor.analysis.whatif import what_if_decision
from advisor.engine.decide import decide
from advisor.knowledge.loader import load_rulebase
from advisor.knowledge.rulebase import RuleBase

ROOT = Path(__file__).resolve().parents[1]
ADVISOR = str(Path(sys.executable).parent / "advisor")


def _median_s(run: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


COPIES = (1, 4, 16)
_RULE_FILES = ("evaluation", "findings", "fine_tuning", "prompt_engineering", "rag")


def copied_rules(folder: Path, copies: int) -> RuleBase:
    """The shipped rules with each rule file copied `copies` times, rule ids renamed."""
    rules = folder / f"rules-{copies}"
    shutil.copytree(ROOT / "rules", rules)
    for name in _RULE_FILES:
        text = (rules / f"{name}.toml").read_text(encoding="utf-8")
        for n in range(1, copies):
            renamed = re.sub(r'^id = "([^"]+)"', rf'id = "\1_copy{n}"', text, flags=re.M)
            (rules / f"{name}_copy{n}.toml").write_text(renamed, encoding="utf-8")
    return load_rulebase(rules, ROOT / "kb")


def growth(answers: list[dict[str, object]]) -> list[tuple[int, int, float]]:
    """(copies, rules, median what_if seconds) over the answers, for each number of copies."""
    folder = Path(tempfile.mkdtemp(prefix="advisor-growth-"))
    found = []
    for copies in COPIES:
        rulebase = copied_rules(folder, copies)
        decisions = [decide(a, rulebase) for a in answers]
        what_if_decision(decisions[0])  # compile once, as a long-running process would have
        median = statistics.median(_median_s(lambda d=d: what_if_decision(d), 3) for d in decisions)
        found.append((copies, len(rulebase.rules), median))
    shutil.rmtree(folder, ignore_errors=True)
    return found


def main() -> int:
    scenarios = sorted((ROOT / "tests" / "scenarios").glob("*.toml"))
    answers = [tomllib.loads(p.read_text(encoding="utf-8"))["answers"] for p in scenarios]
    decisions = [decide(a) for a in answers]
    what_if_decision(decisions[0])  # compile once, as a long-running process would have
    whatif_s = statistics.median(_median_s(lambda d=d: what_if_decision(d), 3) for d in decisions)
    decide_s = statistics.median(_median_s(lambda a=a: decide(a), 20) for a in answers)
    example = str(ROOT / "examples" / "support-bot.toml")

    scratch = Path(tempfile.mkdtemp(prefix="advisor-analysis-"))
    env = processes.child_env(scratch)  # bytecode cached, as after `pip install`

    def process(*argv: str) -> float:
        run = lambda: subprocess.run(argv, check=True, capture_output=True, env=env)  # noqa: E731
        run()  # warm-up: bytecode and the rule-base cache
        return _median_s(run, 7)

    bare = process(sys.executable, "-c", "pass")
    explain = process(ADVISOR, "explain", "--answers", example)
    why = process(ADVISOR, "why", "latency_budget_ms", "--answers", example)
    recommend = process(ADVISOR, "recommend", "--answers", example)
    print("| figure | target | measured |")
    print("|---|---|---|")
    print(
        f"| what_if, every element, median over {len(answers)} scenarios | 20 ms | "
        f"{whatif_s * 1000:.1f} ms ({whatif_s / decide_s:.0f}x one decide()) |"
    )
    grown = growth(answers[::9])
    (_, rules_1, first), *_, (copies_n, rules_n, last) = grown
    steps = ", ".join(f"{rules:,} rules {seconds * 1000:.1f} ms" for _, rules, seconds in grown)
    print(
        f"| what_if growth, {rules_n:,} / {rules_1:,} rules (x{copies_n}), median over "
        f"{len(answers[::9])} scenarios ({steps}) | at most {copies_n}x | {last / first:.1f}x |"
    )
    print(f"| `advisor explain` vs `python -c pass` | 15x | {explain / bare:.1f}x |")
    print(f"| `advisor why` vs `python -c pass` | 15x | {why / bare:.1f}x |")
    print(
        f"| (reference) `advisor recommend` vs `python -c pass` | 10x | {recommend / bare:.1f}x |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
