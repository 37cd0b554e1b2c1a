"""The wheel ships rules/ and kb/, installs into a fresh virtualenv, and runs from elsewhere."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

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


def test_installed_wheel_runs_from_another_directory(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
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
