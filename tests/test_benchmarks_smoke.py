"""Smoke test: `benchmarks/run.py --quick` runs against the current engine and leaves results.md.

It takes about 20 seconds; set ADVISOR_SKIP_BENCH=1 to skip it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(os.environ.get("ADVISOR_SKIP_BENCH") == "1", reason="ADVISOR_SKIP_BENCH=1")
def test_quick_benchmark_runs(tmp_path: Path) -> None:
    results = ROOT / "benchmarks" / "results.md"
    before = results.read_bytes() if results.exists() else None
    output = tmp_path / "quick.md"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--output", str(output)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    text = output.read_text(encoding="utf-8")
    assert "## Targets (issue 9)" in text
    assert "pydantic imported: " in text
    assert (results.read_bytes() if results.exists() else None) == before
