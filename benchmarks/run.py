"""llm-advisor benchmarks: `python benchmarks/run.py [--quick]`.

Prints a table and (unless --quick) writes benchmarks/results.md: in-process figures (advise()
on the scenarios and on 1,000 answer sets drawn across the answer space, decide(), the reference
rule base, each next to the plain-Python oracle of the same run), the memory one Recommendation
holds, whole-process figures of the installed console script next to a bare interpreter, and
scaling over generated rule bases; then the targets of issue 9 ("One Decision at the centre",
item 6), every one a ratio measured in the same run, since the machine is shared and noisy.
Not part of the test run. A full run takes about three minutes on two cores; --quick takes well
under one, writes no results file unless --output is given, and is for smoke-testing only.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import inprocess  # noqa: E402
import processes  # noqa: E402
import scaling  # noqa: E402
from timing import Figure, micro, milli, table  # noqa: E402

from advisor._version import __version__  # noqa: E402
from advisor.cli.main import COMMANDS  # noqa: E402
from advisor.engine.decide import next_question  # noqa: E402
from advisor.knowledge.loader import default_rulebase  # noqa: E402

VARIED_COUNT = 1000

# Targets of issue 9 (medians, same-run ratios): key -> (limit, unit)
TARGETS = {
    "advise varied": (12.0, "x oracle"),
    "decide varied": (4.0, "x oracle"),
    "json": (10.0, "x python -c pass"),
    "first question": (20.0, "x python -c pass"),
    "parse growth": (12.0, "x"),
    "store growth": (12.0, "x"),
    "cache growth": (12.0, "x"),
    "advise growth": (12.0, "x"),
    "advise large": (1e-3, "s"),
    "memory": (8.0, "KiB"),
    "packs json": (1.2, "x without packs"),
    "packs lint": (5.0, "s"),
}


@dataclass
class Run:
    """What the analysis needs from the sections above it."""

    varied: inprocess.Varied | None = None
    memory: float = 0.0
    memory_note: str = ""
    bare: float = 0.0
    json: float = 0.0
    pydantic: bool = False
    imports: processes.ImportProfile | None = None
    command: tuple[str, str] = ("", "")
    scales: tuple[scaling.Scale, ...] = ()
    profile: inprocess.Profile | None = None


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
    run = Run()

    def emit(*text: str) -> None:
        for line in text:
            print(line, flush=True)
            lines.append(line)

    emit(f"# Benchmark results{' (quick run: indicative only)' if quick else ''}", "")
    emit(*_environment(), "")

    # ------------------------------------------------------------------ in-process
    emit("## In process", "")
    figures, note = inprocess.engine_figures(rounds=20 if quick else 200)
    emit("### Scenarios", "")
    emit(f"Shipped rules, {note}. Per call, clock overhead (~0.1 µs) included.", "")
    emit(*table(["measurement", "median", "p95", "calls"], [_row(f) for f in figures]), "")

    rulebase = default_rulebase()
    varied_inputs = inprocess.varied_answers(rulebase, VARIED_COUNT)
    varied = inprocess.varied_figures(VARIED_COUNT, rounds=2 if quick else 10)
    run.varied = varied
    oracle = varied.oracle.median
    emit("### Varied answers across the answer space, same run as the oracle", "")
    emit(inprocess.varied_answers.__doc__.split("\n\n", 1)[1].strip().replace("\n    ", " "), "")
    emit(varied.note + ".", "")
    rows = [
        [*_row(f), f"{f.median / oracle:.2f}x"]
        for f in (
            varied.oracle,
            varied.decide,
            varied.advise,
            varied.decide_again,
            varied.advise_again,
        )
    ]
    emit(*table(["measurement", "median", "p95", "calls", "vs oracle"], rows), "")
    emit(
        f"Assembly (advise() minus decide(), medians): "
        f"{micro(varied.advise.median - varied.decide.median)}, "
        f"{(varied.advise.median - varied.decide.median) / varied.advise.median:.0%} of advise().",
        "",
    )
    met.append(
        _target(
            f"advise() on {VARIED_COUNT:,} varied answers vs the oracle",
            varied.advise.median / oracle,
            "advise varied",
            f"{micro(varied.advise.median)} / {micro(oracle)}",
        )
    )
    met.append(
        _target(
            f"decide() on {VARIED_COUNT:,} other varied answers vs the oracle",
            varied.decide.median / oracle,
            "decide varied",
            f"{micro(varied.decide.median)} / {micro(oracle)}",
        )
    )

    run.memory, run.memory_note = inprocess.recommendation_memory(varied_inputs)
    emit("### Memory held by one retained Recommendation", "")
    emit(f"{run.memory / 1024:.2f} KiB per Recommendation: {run.memory_note}.", "")

    reference, ref_note, _ = inprocess.reference_figures(
        count=2000 if quick else 10_000, rounds=1 if quick else 2
    )
    ref_oracle = reference[0].median
    emit("### Reference rule base (ported to our rule format), same run as its oracle", "")
    emit(ref_note + ".", "")
    rows = [[*_row(f), f"{f.median / ref_oracle:.2f}x"] for f in reference]
    emit(*table(["measurement", "median", "p95", "calls", "vs oracle"], rows), "")

    # ------------------------------------------------------------------ processes
    emit("## Whole process (installed console script)", "")
    runs = 3 if quick else 10
    with tempfile.TemporaryDirectory(prefix="advisor-bench-") as scratch_name:
        scratch = Path(scratch_name)
        process_rows, process_notes = _processes(scratch, runs, met, run)
        emit(*process_notes, "")
        emit(
            *table(["command", "median", "p95", "vs python -c pass", "peak RSS"], process_rows), ""
        )
        example = ROOT / "examples" / "support-bot.toml"
        answers = example if example.is_file() else processes.write_answers(_first(), scratch)
        json_argv = [
            processes.console_script(),
            "recommend",
            "--answers",
            str(answers),
            "--format",
            "json",
        ]
        run.imports = processes.import_profile(json_argv, processes.child_env(scratch), scratch)
        run.command = processes.command_profile(json_argv, processes.child_env(scratch), scratch)
    run.pydantic = run.imports.imported("pydantic")
    pydantic_line = (
        f"pydantic imported: {'yes' if run.pydantic else 'no'} (on the json path: "
        f"`python -X importtime advisor recommend --answers {answers.name} --format json`)"
    )
    emit(pydantic_line, "")

    # ------------------------------------------------------------------ scaling
    emit("## Scaling (generated rule bases)", "")
    emit(scaling.__doc__.split("\n\n", 1)[1].strip().replace("\n", " "), "")
    sizes = (10, 100, 1000) if quick else (10, 100, 1000, 10_000)
    scales = []
    with tempfile.TemporaryDirectory(prefix="advisor-scale-") as scale_dir:
        for size in sizes:
            repeat = 3 if size >= 10_000 or quick else 5
            scales.append(
                scaling.measure(Path(scale_dir) / str(size), size, 500 if quick else 2000, repeat)
            )
    run.scales = tuple(scales)
    rows = [
        [
            f"{s.rules:,}",
            milli(s.parse_s),
            milli(s.parse_no_gc_s),
            milli(s.store_s),
            milli(s.cached_s),
            milli(s.cached_no_gc_s),
        ]
        for s in scales
    ]
    emit(
        *table(
            [
                "rules",
                "load (parse)",
                "gc paused",
                "cache write",
                "load (cache)",
                "gc paused",
            ],
            rows,
        ),
        "",
    )
    rows = [
        [
            f"{s.rules:,}",
            micro(s.eval_median_s),
            micro(s.eval_p95_s),
            f"{s.candidates:,.1f}",
            f"{s.fired:,.1f}",
            micro(s.eval_median_s / max(s.candidates, 1)),
            micro(s.naive_median_s),
            micro(s.advise_median_s),
            micro(s.advise_p95_s),
        ]
        for s in scales
    ]
    emit(
        *table(
            [
                "rules",
                "fired_rules() median",
                "p95",
                "candidates tested",
                "fired",
                "per candidate",
                "naive scan",
                "advise() median",
                "advise() p95",
            ],
            rows,
        ),
        "",
    )
    small, large = scales[-2], scales[-1]
    span = f"{large.rules:,} / {small.rules:,} rules"
    for key, label, attribute in (
        ("parse growth", "load (parse)", "parse_s"),
        ("store growth", "cache write", "store_s"),
        ("cache growth", "load (cache)", "cached_s"),
        ("advise growth", "advise()", "advise_median_s"),
    ):
        at_small, at_large = getattr(small, attribute), getattr(large, attribute)
        shown = milli if attribute != "advise_median_s" else micro
        met.append(
            _target(
                f"{label} growth, {span}",
                at_large / at_small,
                key,
                f"{shown(at_large)} / {shown(at_small)}",
            )
        )
    met.append(
        _target(
            f"advise() on the {large.rules:,}-rule base",
            large.advise_median_s,
            "advise large",
            f"{large.advise_median_s / oracle:,.0f}x oracle; limit = {1e-3 / oracle:,.0f}x oracle",
        )
    )
    met.append(
        _target(
            "memory held by one retained Recommendation",
            run.memory / 1024,
            "memory",
        )
    )

    # ------------------------------------------------------------------ summary
    emit("## Targets (issue 9)", "")
    emit(
        "Every figure is a median; ratios are taken between figures of this run (the oracle: "
        "the reference base's plain-Python rules on their own profiles; the bare interpreter: "
        "`python -c pass`).",
        "",
    )
    emit(*table(["target", "limit", "measured (same-run ratio)", "status"], met), "")
    emit(pydantic_line + ".", "")
    run.profile = inprocess.advise_profile(varied_inputs, rounds=1 if quick else 5)
    emit("## Profiles", "")
    emit(
        "### `python -X importtime advisor recommend --format json` "
        "(imports >= 3 ms, three levels)",
        "",
    )
    emit("```", *run.imports.tree, "```", "")
    emit("### The same, largest own times", "")
    emit("```", *run.imports.top_own, "```", "")
    emit("### cProfile of `advisor recommend --format json` (one warm run), by own time", "")
    emit("```", run.command[0], "```", "")
    emit("### The same, by cumulative time", "")
    emit("```", run.command[1], "```", "")
    emit(f"### cProfile of advise() over the {VARIED_COUNT:,} varied answers, by own time", "")
    emit("```", run.profile.by_own, "```", "")
    emit("### The same, by cumulative time", "")
    emit("```", run.profile.by_cumulative, "```", "")
    emit(*_analysis(run))
    output = args.output or (None if quick else HERE / "results.md")
    if output is not None:
        output.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"\nwrote {output}", file=sys.stderr)
    return 0


def _row(figure: Figure) -> list[str]:
    return [figure.name, micro(figure.median), micro(figure.p95), f"{figure.count:,}"]


def _target(label: str, value: float, key: str, detail: str = "") -> list[str]:
    """A row of the targets table: the limit, the measured value (and what it is made of)."""
    limit, unit = TARGETS[key]
    if unit.startswith("x"):
        limit_text = f"{limit:g}x{unit[1:]}"
        measured = f"{value:,.2f}x"
    elif unit == "s":
        limit_text = f"{limit * 1e3:g} ms"
        measured = micro(value)
    else:
        limit_text = f"{limit:g} {unit}"
        measured = f"{value:,.2f} {unit}"
    if detail:
        measured += f" ({detail})"
    if value <= limit:
        status = f"met ({value / limit:.0%} of the limit)"
    else:
        status = f"**missed** ({value / limit:.1f}x the limit)"
    return [label, limit_text, measured, status]


def _first() -> dict[str, object]:
    inputs, _ = inprocess.scenario_answers(default_rulebase())
    return inputs[0]


def _processes(
    scratch: Path, runs: int, met: list[list[str]], run: Run
) -> tuple[list[list[str]], list[str]]:
    script = processes.console_script()
    env = processes.child_env(scratch)
    answers = str(processes.write_answers(_first(), scratch))
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
        processes.Command(
            "advisor recommend --format json, two rule packs",
            (script, *_two_packs(scratch), "recommend", "--answers", answers, "--format", "json"),
            env,
        ),
        processes.Command(
            "advisor lint, example pack", (script, *_two_packs(scratch)[:2], "lint"), env
        ),
    ]
    notes = [
        f"{runs} runs each after a warm-up, interleaved; bytecode cached (as after `pip install`); "
        "rule-base disk cache warm unless stated. Peak RSS is the child's `ru_maxrss`."
    ]
    question = "advisor ask: first question on screen (pty)"
    if "ask" in COMMANDS and first is not None:
        commands.append(
            # the first prompt on screen: the project name, asked before the first question
            processes.Command(question, (script, "ask"), env, screen_text="Project name")
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
    run.bare = bare
    run.json = results["advisor recommend --format json"][0].median
    met.append(
        _target(
            "`advisor recommend --format json` (warm disk cache) vs `python -c pass`",
            run.json / bare,
            "json",
            f"{milli(run.json)} / {milli(bare)}",
        )
    )
    with_packs = results["advisor recommend --format json, two rule packs"][0].median
    met.append(
        _target(
            "`advisor recommend --format json` with two rule packs (warm cache) vs without",
            with_packs / run.json,
            "packs json",
            f"{milli(with_packs)} / {milli(run.json)}",
        )
    )
    pack_lint = results["advisor lint, example pack"][0].median
    met.append(
        _target(
            "`advisor lint` over the shipped rules and the example pack", pack_lint, "packs lint"
        )
    )
    if question in results:
        shown = results[question][0].median
        met.append(
            _target(
                "`advisor ask`: first question on screen (pty) vs `python -c pass`",
                shown / bare,
                "first question",
                f"{milli(shown)} / {milli(bare)}",
            )
        )
    else:
        met.append(["`advisor ask`: first question on screen", "20x", "not measured", "skipped"])
    notes.append(f"Bare interpreter here: {milli(bare)}.")
    return rows, notes


def _two_packs(scratch: Path) -> list[str]:
    """`--pack` options for the example pack and a small second pack written to `scratch`."""
    second = scratch / "second-pack"
    if not second.exists():
        (second / "rules").mkdir(parents=True)
        (second / "pack.toml").write_text(
            'name = "second"\nversion = "1.0.0"\nrequires = ">=2.0"\n', encoding="utf-8"
        )
        (second / "rules" / "extra.toml").write_text(
            '[[rule]]\nid = "second_note"\nwhen = "knowledge != general"\n'
            'then = "finding:second_note"\nseverity = "info"\nbecause = "A second pack."\n'
            'cite = ["kb/rag.md#when-retrieval-is-the-answer"]\n',
            encoding="utf-8",
        )
    example = ROOT / "examples" / "packs" / "on-premises"
    return ["--pack", str(example), "--pack", str(second)]


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
        "- Figures are medians unless stated; p95 alongside. The machine is shared: compare "
        "ratios within one run, not absolute times across runs.",
    ]


def _analysis(run: Run) -> list[str]:
    """Where the time and memory go, from the figures and profiles above (same structure always)."""
    assert run.varied is not None and run.imports is not None and run.profile is not None
    varied, imports = run.varied, run.imports
    oracle = varied.oracle.median
    assembly = varied.advise.median - varied.decide.median
    heaviest = "; ".join(f"`{name}` {share:.0%}" for name, share in run.profile.heaviest)
    pydantic_s = imports.own_s("pydantic", "pydantic_core", "annotated_types", "typing_inspection")
    models_s = imports.cumulative_s("advisor.models")
    advisor_s = imports.own_s("advisor")
    small, large = run.scales[-2], run.scales[-1]
    return [
        "## Analysis",
        "",
        f"**advise() on varied answers.** {micro(varied.advise.median)} per call "
        f"({varied.advise.median / oracle:.1f}x the oracle): decide() "
        f"{micro(varied.decide.median)} ({varied.decide.median / oracle:.1f}x), assembling the "
        f"pydantic Recommendation from the Decision {micro(assembly)} "
        f"({assembly / varied.advise.median:.0%}). Largest own times in the profile (share of "
        f"the profiled time): {heaviest}.",
        "",
        f"**`advisor recommend --format json`.** {milli(run.json)} against {milli(run.bare)} "
        f"for a bare interpreter ({run.json / run.bare:.1f}x). Imports add up to "
        f"{milli(imports.total_s)} of own time (importtime's own overhead included); pydantic "
        f"imported: {'yes' if run.pydantic else 'no'}"
        + (
            f" (own import time of pydantic, pydantic_core and annotated_types: "
            f"{milli(pydantic_s)}; `advisor.models` {milli(models_s)} cumulative)"
            if run.pydantic
            else ""
        )
        + f"; advisor's own modules {milli(advisor_s)} of own import time. The command's "
        "cProfile above shows the rest (run-time work such as building deferred pydantic "
        "models, rule-base cache load, assembly).",
        "",
        f"**Scaling, {small.rules:,} to {large.rules:,} rules.** Parse "
        f"{large.parse_s / small.parse_s:.1f}x ({large.parse_no_gc_s / small.parse_no_gc_s:.1f}x "
        f"with the garbage collector paused; the {large.rules:,}-rule parse takes "
        f"{milli(large.parse_s)}, {milli(large.parse_no_gc_s)} paused), cache write "
        f"{large.store_s / small.store_s:.1f}x, cache load {large.cached_s / small.cached_s:.1f}x "
        f"({large.cached_no_gc_s / small.cached_no_gc_s:.1f}x paused; the {large.rules:,}-rule "
        f"cache load takes {milli(large.cached_s)}, {milli(large.cached_no_gc_s)} paused). "
        "advise() grows "
        f"{large.advise_median_s / small.advise_median_s:.1f}x while the rules fired grow "
        f"{large.fired / max(small.fired, 1):.1f}x ({large.fired:,.0f} per call at "
        f"{large.rules:,}); per fired rule it costs "
        f"{micro(small.advise_median_s / max(small.fired, 1))} at {small.rules:,} and "
        f"{micro(large.advise_median_s / max(large.fired, 1))} at {large.rules:,} "
        "(advise() builds a rationale item or trace step per fired rule, so it follows the "
        "fired rules, not the candidates).",
        "",
        f"**Memory.** {run.memory / 1024:.2f} KiB per retained Recommendation; "
        f"{run.memory_note.rsplit('; ', 1)[-1]}.",
        "",
    ]


if __name__ == "__main__":
    raise SystemExit(main())
