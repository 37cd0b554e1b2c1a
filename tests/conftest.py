"""Shared fixtures: the shipped rule base, a copy of it to break, and the real console script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from advisor.knowledge.loader import default_rulebase
from advisor.knowledge.rulebase import RuleBase

ROOT = Path(__file__).resolve().parents[1]


def _console_script() -> str:
    """The installed `advisor` script of the interpreter running the tests."""
    candidate = Path(sys.executable).parent / "advisor"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("advisor")
    if found is None:
        pytest.fail("the 'advisor' console script is not installed: pip install -e '.[test]'")
    return found


ADVISOR = _console_script()


def pytest_configure(config: pytest.Config) -> None:
    """Keep the rule-base cache of the test run out of the user's own cache folder."""
    import tempfile

    if "ADVISOR_CACHE_DIR" not in os.environ:
        os.environ["ADVISOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="advisor-test-cache-")
    if "ADVISOR_CACHE_KEY_FILE" not in os.environ:
        keys = tempfile.mkdtemp(prefix="advisor-test-key-")
        os.environ["ADVISOR_CACHE_KEY_FILE"] = os.path.join(keys, "cache-key")


# A complete, valid set of answers (every question reached); tests derive variants from it.
BASE_ANSWERS: dict[str, Any] = {
    "knowledge": "private_static",
    "data_shapes": ["documents"],
    "knowledge_volume": "large",
    "citations": False,
    "behavior": "default",
    "output_format": "free_text",
    "instructions": "simple",
    "narrow_task": False,
    "reasoning": "simple",
    "base_model_eval": "passes",
    "latency_budget_ms": 3000,
    "request_volume": "low",
    "labelled_examples": 0,
    "model_access": "api",
}


@pytest.fixture
def answers() -> dict[str, Any]:
    return dict(BASE_ANSWERS)


@pytest.fixture(scope="session")
def rulebase() -> RuleBase:
    return default_rulebase()


@pytest.fixture
def rules_copy(tmp_path: Path) -> tuple[Path, Path]:
    """Writable copies of rules/ and kb/, for tests that break a file on purpose."""
    rules = tmp_path / "rules"
    kb = tmp_path / "kb"
    shutil.copytree(ROOT / "rules", rules)
    shutil.copytree(ROOT / "kb", kb)
    return rules, kb


RunResult = subprocess.CompletedProcess[str]


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., RunResult]:
    """Run the real console script in a scratch directory; returns the completed process."""

    def run(
        *args: str,
        input: str | None = None,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> RunResult:
        full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
        return subprocess.run(
            [ADVISOR, *args],
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            cwd=cwd or tmp_path,
            env=full_env,
            timeout=60,
        )

    return run
