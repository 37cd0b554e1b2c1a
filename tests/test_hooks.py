"""The pre-commit hooks, end to end: `pre-commit try-repo` and the README's snippet as written,
in scratch git repositories (pre-commit installs llm-advisor from a committed copy of this
checkout, as it would from the published repository)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pre_commit")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "packs" / "on-premises"
ADVISOR = str(Path(sys.executable).parent / "advisor")
_IGNORED = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", "*.egg-info"
)


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A committed copy of this checkout (what pre-commit clones) and its commit."""
    copy = tmp_path_factory.mktemp("hook-repo") / "llm-advisor"
    shutil.copytree(ROOT, copy, ignore=_IGNORED)
    git(copy, "init", "-q")
    git(copy, "add", "-A")
    git(copy, "commit", "-qm", "snapshot")
    return copy, git(copy, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def project(tmp_path: Path) -> Path:
    """A scratch repository with a pack named in its pyproject.toml and one decision record."""
    repo = tmp_path / "project"
    shutil.copytree(EXAMPLE, repo / "policy" / "on-premises")
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n\n[tool.llm-advisor]\npacks = ["policy/on-premises"]\n'
    )
    (repo / "docs" / "decisions").mkdir(parents=True)
    subprocess.run(
        [ADVISOR, "recommend", "--answers", str(ROOT / "examples" / "support-bot.toml"),
         "--format", "markdown", "--output", "docs/decisions/0001-llm-approach.md",
         "--date", "2026-12-06"],
        cwd=repo, check=True, capture_output=True,
    )  # fmt: skip
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    return repo


def pre_commit(repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    env.pop("ADVISOR_PACKS", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_try_repo_runs_the_check_and_lint_hooks(
    tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    repo = project(tmp_path)
    copy, rev = hook_repo
    for hook in ("advisor-check", "advisor-lint"):
        done = pre_commit(repo, pre_commit_home, "try-repo", str(copy), hook, "--ref", rev,
                          "--all-files")  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Passed" in done.stdout
    # a stale record (the advice recorded differs from what the rules give) fails the check
    record = repo / "docs" / "decisions" / "0001-llm-approach.md"
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace('"techniques": ["prompt_engineering", "rag"]',
                                   '"techniques": ["prompt_engineering"]'))  # fmt: skip
    done = pre_commit(repo, pre_commit_home, "try-repo", str(copy), "advisor-check", "--ref", rev,
                      "--all-files")  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "stale" in done.stdout
    # the review hook: fine-tuning proposed for documentation knowledge fails, retrieval passes
    answers = (ROOT / "examples" / "support-bot.toml").read_text(encoding="utf-8")
    for proposal, code in (('["fine_tuning"]', 1), ('["prompt_engineering", "rag"]', 0)):
        (repo / "advisor-answers.toml").write_text(f"proposed = {proposal}\n{answers}")
        git(repo, "add", "advisor-answers.toml")  # pre-commit looks at tracked files
        done = pre_commit(repo, pre_commit_home, "try-repo", str(copy), "advisor-review",
                          "--ref", rev, "--all-files")  # fmt: skip
        assert done.returncode == code, done.stdout + done.stderr
    assert "review.proposal.fine_tuning_does_not_add_knowledge" not in done.stdout
    # a broken pack fails the lint hook, naming the file
    policy = repo / "policy" / "on-premises" / "rules" / "policy.toml"
    policy.write_text(policy.read_text() + '\n[[disable]]\nrule = "no_such_rule"\n')
    done = pre_commit(repo, pre_commit_home, "try-repo", str(copy), "advisor-lint", "--ref", rev,
                      "--all-files")  # fmt: skip
    assert done.returncode == 1
    assert "names no rule 'no_such_rule'" in done.stdout


def test_the_readme_snippet_works_as_written(
    tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- pre-commit-snippet -->\n```yaml\n(.*?)```", readme, re.DOTALL)
    assert match, "README.md lacks the pre-commit snippet"
    snippet = match.group(1)
    copy, rev = hook_repo
    # the published repository and release, pointed at this checkout's committed copy
    config = re.sub(r"repo: \S+", f"repo: {copy}", snippet, count=1)
    config = re.sub(r"rev: \S+", f"rev: {rev}", config, count=1)
    assert config.count(str(copy)) == 1 and rev in config
    repo = project(tmp_path)
    (repo / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "hooks")
    done = pre_commit(repo, pre_commit_home, "run", "--all-files")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "llm-advisor decision records" in done.stdout
    assert "llm-advisor rule pack lint" in done.stdout
