"""The wheel ships rules/ and kb/, installs into a fresh virtualenv, and runs from elsewhere."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import BASE_ANSWERS, ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("llm_advisor-*.whl")
    return built


def test_wheel_contains_rules_and_kb(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    rules = ROOT / "rules"
    shipped_rules = {p.relative_to(rules).as_posix() for p in rules.rglob("*.toml")}
    assert "record/record.toml" in shipped_rules  # the record's wording, read by services
    shipped_kb = {p.name for p in (ROOT / "kb").glob("*.md")}
    prefix = "advisor/_data/rules/"
    assert {n.removeprefix(prefix) for n in names if n.startswith(prefix)} == shipped_rules
    assert {Path(n).name for n in names if n.startswith("advisor/_data/kb/")} == shipped_kb
    assert any(n.endswith("entry_points.txt") for n in names)


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel installed; returns the virtualenv's directory."""
    env_dir = tmp_path_factory.mktemp("installed") / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    # Reuse this environment's dependencies (no network needed) without its editable advisor:
    # a .pth line adds the directory to sys.path but does not run the editable-install hooks.
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return env_dir


def test_installed_wheel_runs_from_another_directory(installed: Path, tmp_path: Path) -> None:
    env_dir = installed
    python = env_dir / "bin" / "python"
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    (workdir / "answers.json").write_text(
        json.dumps({**BASE_ANSWERS, "knowledge": "private_dynamic"})
    )
    script = env_dir / "bin" / "advisor"
    result = subprocess.run(
        [str(script), "recommend", "--answers", "answers.json", "--format", "json"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert "rag" in data["techniques"]
    record = subprocess.run(
        [str(script), "recommend", "--answers", "answers.json", "--format", "markdown"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=60,
    )  # the record's wording (rules/record/record.toml) ships in the wheel
    assert record.returncode == 0, record.stderr
    assert "### Confirmation" in record.stdout
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import advisor.knowledge.resources as r; print(r.rules_dir()); print(r.kb_dir())",
        ],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all("_data" in path and str(env_dir) in path for path in where)


CLIENT = '''\
"""A library user's script, checked with mypy --strict against the installed package."""

import advisor
from advisor import (
    AdvisorError,
    Answers,
    AnswersBase,
    Explanation,
    Recommendation,
    Review,
    WhatIfData,
    advise,
    explain,
    review,
    what_if,
)


def run(answers: dict[str, object]) -> list[str]:
    model: Answers = Answers.model_validate(answers)
    base: AnswersBase = model
    try:
        rec: Recommendation = advise(base.model_dump(exclude_unset=True))
    except AdvisorError as exc:
        return [str(exc)]
    how: Explanation = explain(answers)
    changes: WhatIfData = what_if(answers)
    checked: Review = review(answers, ["rag"])
    keys = [e.key for e in how.elements] + [e.key for e in changes.elements]
    return list(rec.techniques) + keys + [f.id for f in checked.findings]


reveal_type(advisor.Answers)
'''


def test_wheel_ships_py_typed_and_both_scripts(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "advisor/py.typed" in names
    (entry_points,) = [n for n in names if n.endswith("entry_points.txt")]
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "advisor = advisor.cli.main:main" in text
    assert "llm-advisor = advisor.cli.main:main" in text


def test_mypy_strict_on_a_client_of_the_installed_wheel(installed: Path, tmp_path: Path) -> None:
    """`advisor` is typed for its users: py.typed ships, and `advisor.Answers` is not Any."""
    script = tmp_path / "client.py"
    script.write_text(CLIENT)
    python = installed / "bin" / "python"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--python-executable",
            str(python),
            str(script),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    # reveal_type is reported as a note; anything else is an error in the package's typing.
    lines = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert lines == [], result.stdout
    (revealed,) = [line for line in result.stdout.splitlines() if "Revealed type is" in line]
    assert "AnswersBase" in revealed and "Any" not in revealed.split("->")[-1], revealed


def test_llm_advisor_script_runs_from_the_installed_wheel(installed: Path, tmp_path: Path) -> None:
    """The second console script (`uvx llm-advisor`, `pipx run llm-advisor`) is the same CLI."""
    script = installed / "bin" / "llm-advisor"
    version = subprocess.run(
        [str(script), "--version"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("advisor ")
    (tmp_path / "answers.json").write_text(json.dumps(BASE_ANSWERS))
    command = ["recommend", "--answers", "answers.json", "--format", "json"]
    same = [
        subprocess.run(
            [str(installed / "bin" / name), *command],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        for name in ("advisor", "llm-advisor")
    ]
    assert [r.returncode for r in same] == [0, 0], [r.stderr for r in same]
    assert same[0].stdout == same[1].stdout


def test_mcp_session_over_stdio_with_the_installed_wheel(installed: Path, tmp_path: Path) -> None:
    """Acceptance (issue 14): the SDK's stdio client launches the installed `advisor mcp`, lists
    the tools and gets from `advise` the techniques `advisor recommend --format json` prints."""
    pytest.importorskip("mcp")
    anyio = pytest.importorskip("anyio")
    from mcp import Client, StdioServerParameters

    path = ROOT / "tests" / "scenarios" / "agriculture_rag_plus_fine_tuning.toml"
    answers = tomllib.loads(path.read_text(encoding="utf-8"))["answers"]
    (tmp_path / "answers.json").write_text(json.dumps(answers))
    script = installed / "bin" / "advisor"
    cli = subprocess.run(
        [str(script), "recommend", "--answers", "answers.json", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode == 0, cli.stderr
    found: dict[str, Any] = {}

    async def main() -> None:
        params = StdioServerParameters(command=str(script), args=["mcp"], cwd=str(tmp_path))
        async with Client(params, read_timeout_seconds=120) as client:
            found["tools"] = [t.name for t in (await client.list_tools()).tools]
            result = await client.call_tool("advise", {"answers": answers})
            found["error"] = result.is_error
            found["advice"] = result.structured_content

    anyio.run(main)
    assert {"advise", "explain", "what_if", "review", "check_record"} <= set(found["tools"])
    assert not found["error"]
    assert found["advice"]["techniques"] == json.loads(cli.stdout)["techniques"]
    assert found["advice"] == json.loads(cli.stdout)
