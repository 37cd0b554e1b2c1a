"""Small timing helpers shared by the benchmarks: per-call samples, medians and p95."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
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


def once(function: Callable[[], Any], repeat: int) -> list[float]:
    """Wall time of `function()` `repeat` times, with a collection before each run."""
    out = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        function()
        out.append(time.perf_counter() - start)
    return out


def micro(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f} µs"


def milli(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f} ms"


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A markdown table (also readable as plain text)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines
