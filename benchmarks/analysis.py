"""Analysis figures (issue 12): what_if for every outcome element of one answers object, and the
`advisor explain` / `advisor why` processes, each as a ratio to a baseline timed in the same run.

Standalone (not part of run.py, so the two can evolve apart): `.venv/bin/python
benchmarks/analysis.py` prints a small markdown table. Targets: what_if median at most 20 ms
(reported with its ratio to one decide() of the same answers, the figure that stays meaningful
on a noisy machine); `advisor explain` and `advisor why` at most 15x a bare `python -c pass`.
"""

from __future__ import annotations

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

ROOT = Path(__file__).resolve().parents[1]
ADVISOR = str(Path(sys.executable).parent / "advisor")


def _median_s(run: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


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
    print(f"| `advisor explain` vs `python -c pass` | 15x | {explain / bare:.1f}x |")
    print(f"| `advisor why` vs `python -c pass` | 15x | {why / bare:.1f}x |")
    print(
        f"| (reference) `advisor recommend` vs `python -c pass` | 10x | {recommend / bare:.1f}x |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
