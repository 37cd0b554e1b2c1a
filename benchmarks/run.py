"""llm-advisor benchmarks: `python benchmarks/run.py [--quick]`.

Prints a table and (unless --quick) writes benchmarks/results.md: in-process figures (advise,
next_question, the reference rule base against its plain-Python oracle in the same run),
whole-process figures of the installed console script next to a bare interpreter, peak memory,
and scaling over generated rule bases, each against the targets of issue 6. Not part of the test
run. A full run takes about two to three minutes on two cores; --quick takes well under one and
is for smoke-testing only.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import inprocess  # noqa: E402
import processes  # noqa: E402
import scaling  # noqa: E402
from timing import Figure, micro, milli, table  # noqa: E402

from advisor._version import __version__  # noqa: E402
from advisor.cli.main import COMMANDS  # noqa: E402
from advisor.engine.decide import next_question  # noqa: E402
from advisor.knowledge.loader import default_rulebase  # noqa: E402

# Targets of issue 6 (medians): name -> (limit, unit)
TARGETS = {
    "reference": (3.0, "x oracle"),
    "advise": (25e-6, "s"),
    "version": (0.050, "s"),
    "help": (0.050, "s"),
    "json": (0.150, "s"),
    "markdown": (0.200, "s"),
    "first question": (0.250, "s"),
    "lint": (5.0, "s"),
    "memory": (60.0, "MiB"),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and sizes (smoke test)")
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="results file (default: benchmarks/results.md; --quick writes none unless named)",
    )
    args = parser.parse_args()
    quick = args.quick
    lines: list[str] = []
    met: list[list[str]] = []

    def emit(*text: str) -> None:
        for line in text:
            print(line, flush=True)
            lines.append(line)

    emit(f"# Benchmark results{' (quick run: indicative only)' if quick else ''}", "")
    emit(*_environment(), "")

    # ------------------------------------------------------------------ in-process
    emit("## In process", "")
    figures, note = inprocess.engine_figures(rounds=20 if quick else 200)
    emit(f"Shipped rules, {note}. Per call, clock overhead (~0.1 µs) included.", "")
    emit(*table(["measurement", "median", "p95", "calls"], [_row(f) for f in figures]), "")
    advise_median = figures[0].median
    met.append(
        _target(
            "advise() on the shipped rules, from a dict, explanation included",
            advise_median,
            "advise",
        )
    )

    reference, ref_note, _ = inprocess.reference_figures(
        count=2000 if quick else 10_000, rounds=1 if quick else 2
    )
    oracle = reference[0].median
    emit("### Reference rule base (ported to our rule format), same run as its oracle", "")
    emit(ref_note + ".", "")
    rows = [[*_row(f), f"{f.median / oracle:.2f}x"] for f in reference]
    emit(*table(["measurement", "median", "p95", "calls", "vs oracle"], rows), "")
    met.append(
        _target(
            "reference base: fired_rules() vs plain-Python oracle",
            reference[1].median / oracle,
            "reference",
        )
    )

    # ------------------------------------------------------------------ processes
    emit("## Whole process (installed console script)", "")
    runs = 3 if quick else 10
    with tempfile.TemporaryDirectory(prefix="advisor-bench-") as scratch_name:
        scratch = Path(scratch_name)
        process_rows, process_notes = _processes(scratch, runs, met)
        emit(*process_notes, "")
        emit(
            *table(["command", "median", "p95", "vs python -c pass", "peak RSS"], process_rows), ""
        )
        profile = processes.import_profile(
            [
                processes.console_script(),
                "recommend",
                "--answers",
                str(processes.write_answers(_first_answers(), scratch)),
                "--format",
                "json",
            ],
            processes.child_env(scratch),
            scratch,
        )

    # ------------------------------------------------------------------ scaling
    emit("## Scaling (generated rule bases)", "")
    emit(scaling.__doc__.split("\n\n", 1)[1].strip().replace("\n", " "), "")
    sizes = (10, 100, 1000) if quick else (10, 100, 1000, 10_000)
    rows = []
    with tempfile.TemporaryDirectory(prefix="advisor-scale-") as scale_dir:
        for size in sizes:
            s = scaling.measure(Path(scale_dir) / str(size), size, 500 if quick else 2000)
            per = s.eval_median_s / max(s.candidates, 1)
            rows.append(
                [
                    f"{s.rules:,}",
                    f"{s.parse_s:.2f} s",
                    milli(s.cached_s),
                    micro(s.eval_median_s),
                    micro(s.eval_p95_s),
                    f"{s.candidates:,.1f}",
                    f"{s.fired:,.1f}",
                    micro(per),
                    micro(s.naive_median_s),
                ]
            )
    emit(
        *table(
            [
                "rules",
                "load (parse)",
                "load (cache)",
                "evaluation median",
                "p95",
                "candidates tested",
                "fired",
                "per candidate",
                "naive scan",
            ],
            rows,
        ),
        "",
    )
    emit(
        "Evaluation cost follows the candidates (rules whose single-question conjuncts all "
        "hold, found with one bitmask AND per question), not the size of the base: the cost per "
        "candidate stays flat while the naive scan grows with every rule. Loading grows "
        "linearly too (parsing, type-checking and citation checks per rule); the disk cache "
        "skips parsing after the first load.",
        "",
    )

    # ------------------------------------------------------------------ summary
    emit("## Targets (issue 6)", "")
    emit(*table(["target", "limit", "measured (median)", "status"], met), "")
    emit("## Profiles", "")
    emit("### `python -X importtime advisor recommend --format json` (imports >= 3 ms)", "")
    emit("```", *profile, "```", "")
    emit("### cProfile of advise() over the inputs (top functions by own time)", "")
    emit("```", inprocess.advise_profile(rounds=10 if quick else 50), "```", "")
    emit(*_analysis(met, advise_median, oracle))
    output = args.output or (None if quick else HERE / "results.md")
    if output is not None:
        output.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"\nwrote {output}", file=sys.stderr)
    return 0


def _row(figure: Figure) -> list[str]:
    return [figure.name, micro(figure.median), micro(figure.p95), f"{figure.count:,}"]


def _target(label: str, value: float, key: str) -> list[str]:
    limit, unit = TARGETS[key]
    shown: Callable[[float], str]
    if unit == "s":
        shown = micro if limit < 1e-3 else milli
    elif unit == "MiB":
        shown = lambda v: f"{v:.1f} MiB"  # noqa: E731
    else:
        shown = lambda v: f"{v:.2f}x"  # noqa: E731
    if value <= limit:
        status = f"met ({value / limit:.0%} of the limit)"
    else:
        status = (
            f"**missed by {shown(value - limit)}** ({value / limit - 1:.0%} over; see Analysis)"
        )
    return [label, shown(limit), shown(value), status]


def _first_answers() -> dict[str, object]:
    inputs, _ = inprocess.scenario_answers(default_rulebase())
    return inputs[0]


def _processes(scratch: Path, runs: int, met: list[list[str]]) -> tuple[list[list[str]], list[str]]:
    script = processes.console_script()
    env = processes.child_env(scratch)
    answers = str(processes.write_answers(_first_answers(), scratch))
    first = next_question({})
    commands = [
        processes.Command("python -c pass (bare interpreter)", (sys.executable, "-c", "pass"), env),
        processes.Command("advisor --version", (script, "--version"), env),
        processes.Command("advisor --help", (script, "--help"), env),
        processes.Command(
            "advisor recommend --format json",
            (script, "recommend", "--answers", answers, "--format", "json"),
            env,
        ),
        processes.Command(
            "advisor recommend --format markdown",
            (script, "recommend", "--answers", answers, "--format", "markdown"),
            env,
        ),
        processes.Command(
            "advisor recommend --format json, disk cache off",
            (script, "recommend", "--answers", answers, "--format", "json"),
            processes.child_env(scratch, ADVISOR_NO_CACHE="1"),
        ),
        processes.Command("advisor lint", (script, "lint"), env),
    ]
    notes = [
        f"{runs} runs each after a warm-up, interleaved; bytecode cached (as after `pip install`); "
        "rule-base disk cache warm unless stated. Peak RSS is the child's `ru_maxrss`."
    ]
    if "ask" in COMMANDS and first is not None:
        commands.append(
            processes.Command(
                "advisor ask: first question on screen (pty)",
                (script, "ask"),
                env,
                screen_text=first.text[:30],
            )
        )
    else:
        notes.append("`advisor ask` is not available in this build: first-question timing skipped.")
    results = processes.measure(commands, runs, scratch)
    bare = results[commands[0].name][0].median
    rows = []
    for command in commands:
        figure, rss = results[command.name]
        memory = f"{rss / 1024:.1f} MiB" if rss else "-"
        rows.append(
            [
                command.name,
                milli(figure.median),
                milli(figure.p95),
                f"{figure.median / bare:.1f}x",
                memory,
            ]
        )
    keyed = {
        "version": "advisor --version",
        "help": "advisor --help",
        "json": "advisor recommend --format json",
        "markdown": "advisor recommend --format markdown",
        "lint": "advisor lint",
        "first question": "advisor ask: first question on screen (pty)",
    }
    for key, name in keyed.items():
        if name in results:
            met.append(_target(f"`{name}`", results[name][0].median, key))
    rss = results["advisor recommend --format json"][1] / 1024
    met.append(_target("peak memory of `advisor recommend --format json`", rss, "memory"))
    notes.append(f"Bare interpreter here: {milli(bare)} (issue 6 assumed ~9 ms in a virtualenv).")
    return rows, notes


def _environment() -> list[str]:
    try:
        commit = subprocess.run(
            ["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(HERE), "status", "--porcelain"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit, dirty = "unknown", ""
    rulebase = default_rulebase()
    return [
        f"- Date: {datetime.date.today().isoformat()}; advisor {__version__}, commit {commit}"
        f"{' with uncommitted changes' if dirty else ''}; rules {rulebase.version} "
        f"({len(rulebase.rules)} rules, {len(rulebase.questions)} questions)",
        f"- Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()} ({sys.executable})",
        "- Command: `python benchmarks/run.py" + (" --quick`" if "--quick" in sys.argv else "`"),
        "- Figures are medians unless stated; p95 alongside.",
    ]


ISSUE_ORACLE = 2.4e-6  # the oracle's median when issue 6's figures were taken


def _analysis(met: list[list[str]], advise_median: float, oracle: float) -> list[str]:
    """What bounds the figures that miss their target (see the profiles above)."""
    missed = " ".join(row[0] for row in met if "missed" in row[3])
    out = ["## Analysis", ""]
    if "advise()" in missed:
        scaled = advise_median * ISSUE_ORACLE / oracle
        out += [
            f"**Machine speed.** The reference oracle took {micro(oracle)} in this run against "
            f"{micro(ISSUE_ORACLE)} when issue 6's figures were taken on the same kind of "
            f"machine: scaled by that ratio, advise() would be {micro(scaled)}.",
            "",
            "**advise().** Validation, walk, evaluation and explanation each take a few "
            "microseconds after this issue's work (the first version took ~115 µs): answers of "
            "plain types are checked without building pydantic's model, the walk "
            "and the rule index use tables built once per rule base, shared sub-conditions run "
            "once per call, whatever depends only on which rules fired (techniques, sub-choices, "
            "sources, finding groups) is kept per set of fired rules, and immutable output "
            "pieces (sources, most trace steps) are shared between results. What is left is "
            "bounded by building the pydantic output: a typical Recommendation holds ~15 model "
            "objects with fresh lists (rationale items, findings, plans), ~0.6 µs each even "
            "without validation (`object.__new__` and four slot writes), plus one Python-level "
            "pass over ~15 questions and ~10 fired rules (cProfile above). Sharing the models "
            "that hold lists between results would save most of the rest, but one caller's "
            "mutation would then leak into another's result, so it is not done.",
            "",
        ]
    if "recommend" in missed or "first question" in missed:
        out += [
            "**Start-up.** Compare the ratio column: outside a virtualenv this sandbox's "
            "interpreter spends ~20 ms more in `site` (a `.pth` hook importing certifi), so "
            "run the benchmark with a virtualenv's python (as the README does). With the rule "
            "base read from the "
            "disk cache, networkx and markdown-it are no longer imported and the command's own "
            "work (argument parsing, cache read, advise, JSON) takes ~10 ms; the rest is "
            "imports, bounded by pydantic (import profile above): `import pydantic` ~35 ms, of "
            "which ~20 ms is asyncio, pulled in by typing_extensions' `@deprecated` (used by "
            "pydantic_core.core_schema) on Python 3.11. The output models already defer their "
            "pydantic build and `--format json` is written without pydantic's serializer "
            "(advisor/render/jsonout.py); what is left would need output types without pydantic.",
            "",
        ]
    if len(out) == 2:
        out += ["Every target is met.", ""]
    return out


if __name__ == "__main__":
    raise SystemExit(main())
