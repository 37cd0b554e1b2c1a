"""Small timing helpers shared by the benchmarks: per-call samples, medians and p95."""

from __future__ import annotations

import gc
import re
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Figure:
    """Samples of one measurement, in seconds."""

    name: str
    samples: tuple[float, ...]
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    @property
    def count(self) -> int:
        return len(self.samples)


def per_call(
    name: str, function: Callable[[Any], Any], inputs: Sequence[Any], rounds: int, note: str = ""
) -> Figure:
    """Time `function(x)` once per input per round, one call at a time (clock overhead ~0.1 µs)."""
    clock = time.perf_counter_ns
    samples: list[float] = []
    for x in inputs[: max(1, len(inputs) // 10)]:  # warm caches and lazy tables
        function(x)
    for _ in range(rounds):
        for x in inputs:
            start = clock()
            function(x)
            samples.append((clock() - start) / 1e9)
    return Figure(name, tuple(samples), note)


def interleaved(
    functions: dict[str, Callable[[Any], Any]], inputs: Sequence[Any], rounds: int
) -> dict[str, Figure]:
    """Time several functions on the same inputs, alternating call by call (same conditions)."""
    clock = time.perf_counter_ns
    samples: dict[str, list[float]] = {name: [] for name in functions}
    pairs = list(functions.items())
    for _ in range(rounds):
        for x in inputs:
            for name, function in pairs:
                start = clock()
                function(x)
                samples[name].append((clock() - start) / 1e9)
    return {name: Figure(name, tuple(values)) for name, values in samples.items()}


def fresh_blocks(
    functions: dict[str, tuple[Callable[[Any], Any], Sequence[Sequence[Any]]]],
) -> dict[str, Figure]:
    """Time each function one call at a time, in alternating blocks: round `r` runs every
    function over its `r`-th block of inputs in turn (one block per round each), so all of them
    see the same machine load over the run (ratios between them are what counts on a noisy
    machine), while a small function is not timed right after a large one has evicted its data
    from the CPU caches (call-by-call interleaving roughly doubles the oracle's time next to
    advise()). No warm-up: a function whose blocks differ never meets an input twice, so a cache
    of results for its exact inputs cannot flatter it."""
    clock = time.perf_counter_ns
    samples: dict[str, list[float]] = {name: [] for name in functions}
    rounds = {len(blocks) for _, blocks in functions.values()}
    assert len(rounds) == 1, "every function needs one block of inputs per round"
    for r in range(rounds.pop()):
        for name, (function, blocks) in functions.items():
            kept = samples[name]
            for x in blocks[r]:
                start = clock()
                function(x)
                kept.append((clock() - start) / 1e9)
    return {name: Figure(name, tuple(values)) for name, values in samples.items()}


def once(function: Callable[[], Any], repeat: int) -> list[float]:
    """Wall time of `function()` `repeat` times, with a collection before each run."""
    out = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        function()
        out.append(time.perf_counter() - start)
    return out


def profile_lines(stats: Any, order: str, top: int, skip_imports: bool = False) -> str:
    """The `top` functions of pstats `stats` by `order` ("tottime" or "cumulative").

    With `skip_imports`, the import machinery (`<frozen importlib...>`, `exec`, `__import__`,
    module bodies) is left out of the list, so the command's own work shows.
    """
    stats.sort_stats(order)
    rows = [f"{'ncalls':>12} {'tottime':>8} {'cumtime':>8}  function"]
    for key in stats.fcn_list:
        file, line, name = key
        if skip_imports and (
            file.startswith("<frozen")
            or name in ("<module>", "<built-in method builtins.exec>")
            or name.startswith("<built-in method builtins.__import__")
            or name.startswith("<built-in method _imp.")
            or name in ("_handle_fromlist", "import_module")
        ):
            continue
        primitive, calls, own, cumulative, _ = stats.stats[key]
        ncalls = str(calls) if calls == primitive else f"{calls}/{primitive}"
        where = name if file == "~" else f"{Path(file).name}:{line}({name})"
        where = re.sub(r" at 0x[0-9a-f]+", "", where)
        rows.append(f"{ncalls:>12} {own:8.3f} {cumulative:8.3f}  {where}")
        if len(rows) > top:
            break
    return "\n".join(rows)


def micro(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f} µs"


def milli(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f} ms"


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A markdown table (also readable as plain text)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines
