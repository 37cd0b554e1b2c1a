"""Bad conditions the advisor must survive: interrupted or failed writes, damaged records, and
text that is not Unicode (lone surrogates, bytes that are not UTF-8)."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ADVISOR, BASE_ANSWERS, ROOT, RunResult

import advisor
from advisor.cli.main import main

Run = Callable[..., RunResult]
EXAMPLE = str(ROOT / "examples" / "support-bot.toml")
GOLDEN = ROOT / "tests" / "golden" / "support_bot.md"
ORIGINAL = b"# An earlier decision record\n\nKept byte for byte when a new write fails.\n"


def write_record_argv(target: Path) -> list[str]:
    return ["recommend", "--answers", EXAMPLE, "--format", "markdown", "--output", str(target)]


def run_bytes(*args: str | bytes, input: bytes = b"", cwd: Path, **options: Any) -> Any:
    """The console script with raw bytes in and out (text=False)."""
    return subprocess.run(
        [ADVISOR, *args],
        input=input,
        capture_output=True,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=60,
        **options,
    )


@pytest.fixture
def existing(tmp_path: Path) -> Iterator[Path]:
    """A record that a failed write must leave untouched (and alone in its folder)."""
    folder = tmp_path / "docs"
    folder.mkdir()
    target = folder / "0001-llm-approach.md"
    target.write_bytes(ORIGINAL)
    yield target
    assert target.read_bytes() == ORIGINAL
    assert sorted(p.name for p in folder.iterdir()) == [target.name], "a temporary file was left"


# --------------------------------------------------------------------------- atomic writes


def test_a_full_disk_mid_write_keeps_the_old_file(
    existing: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_write = os.write

    def half_then_full(fd: int, data: Any) -> int:
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", half_then_full)
    assert main(write_record_argv(existing)) == 2
    error = capsys.readouterr().err
    assert f"cannot write {existing}: No space left on device" in error


def test_a_full_disk_while_the_cache_key_is_made_is_not_an_output_error(
    existing: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The first cache store of a fresh key file writes the signing key: a full disk there
    leaves no key (and no cache), and the error reported is the record's own, not "cannot
    write to standard output" from the escaped key write."""
    key = tmp_path / "fresh" / "cache-key"
    monkeypatch.setenv("ADVISOR_CACHE_KEY_FILE", str(key))
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "fresh-cache"))
    real_write = os.write

    def full(fd: int, data: Any) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", full)
    assert main(write_record_argv(existing)) == 2
    error = capsys.readouterr().err
    assert f"cannot write {existing}: No space left on device" in error
    assert not key.exists()
    monkeypatch.setattr(os, "write", real_write)


def test_a_failed_fsync_keeps_the_old_file(
    existing: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "fsync", fail)
    assert main(write_record_argv(existing)) == 2
    assert "Input/output error" in capsys.readouterr().err


def test_ctrl_c_mid_write_keeps_the_old_file(
    existing: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    assert main(write_record_argv(existing)) == 130
    assert "interrupted" in capsys.readouterr().err


def test_a_file_size_limit_hit_by_the_real_script_keeps_the_old_file(existing: Path) -> None:
    """The console script under RLIMIT_FSIZE: writes past 2 KB fail with EFBIG, as on a full disk
    (a plain truncate-then-write would leave the first 2 KB of the new record)."""
    resource = pytest.importorskip("resource")

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))

    result = run_bytes(*write_record_argv(existing), cwd=existing.parent, preexec_fn=small_files)
    assert result.returncode == 2, result.stderr
    assert b"File too large" in result.stderr


def test_writes_keep_permissions_and_new_files_follow_the_umask(tmp_path: Path) -> None:
    kept = tmp_path / "kept.md"
    kept.write_bytes(ORIGINAL)
    kept.chmod(0o604)
    new = tmp_path / "sub" / "new.md"
    old_umask = os.umask(0o027)
    try:
        assert main(write_record_argv(kept)) == 0
        assert main(write_record_argv(new)) == 0
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o604
    assert stat.S_IMODE(new.stat().st_mode) == 0o640
    assert kept.read_text(encoding="utf-8") == new.read_text(encoding="utf-8")
    assert "llm-advisor:record" in new.read_text(encoding="utf-8")


def test_a_symbolic_link_is_kept_and_its_file_replaced(tmp_path: Path) -> None:
    real = tmp_path / "real.md"
    real.write_bytes(ORIGINAL)
    link = tmp_path / "link.md"
    link.symlink_to(real)
    assert main(write_record_argv(link)) == 0
    assert link.is_symlink()
    assert "llm-advisor:record" in real.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.md", "real.md"]


def test_a_folder_target_is_still_refused(run_cli: Run, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    result = run_cli(*write_record_argv(tmp_path / "out"))
    assert result.returncode == 2
    assert "it is a folder" in result.stderr


@pytest.mark.parametrize("failure", [OSError(errno.ENOSPC, "No space left"), KeyboardInterrupt()])
def test_a_failed_cache_write_leaves_no_temporary_file(
    rules_copy: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    failure: BaseException,
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(cache))

    def fail(source: Any, target: Any) -> None:
        raise failure

    monkeypatch.setattr(os, "replace", fail)
    if isinstance(failure, OSError):
        assert advisor.load_rulebase(*rules_copy).rules  # parsed as usual, silently not cached
    else:
        with pytest.raises(KeyboardInterrupt):
            advisor.load_rulebase(*rules_copy)
    assert list(cache.iterdir()) == []


# --------------------------------------------------------------------------- damaged records


def test_check_reports_a_record_cut_in_half_as_unreadable(run_cli: Run, tmp_path: Path) -> None:
    data = GOLDEN.read_bytes()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "0001-half.md").write_bytes(data[: len(data) // 2])
    (tmp_path / "docs" / "0002-whole.md").write_bytes(data)
    (tmp_path / "docs" / "README.md").write_text("---\ntitle: Decisions\n---\n# Decisions\n")
    result = run_cli("check", "docs")
    assert result.returncode == 2, result.stdout
    assert "docs/0001-half.md: " in result.stderr
    assert "truncated" in result.stderr and "regenerate it" in result.stderr
    assert "docs/0002-whole.md: current" in result.stdout
    assert "docs/README.md: skipped" in result.stdout
    assert "1 unreadable; 1 file skipped" in result.stdout


@pytest.mark.parametrize(
    "cut",
    [
        pytest.param(lambda text: text[: text.index("\n---\n", 4)], id="inside-front-matter"),
        pytest.param(lambda text: text[: text.index("<!-- llm-advisor:record")], id="before-block"),
        pytest.param(lambda text: text[: text.rindex('"outcome"')], id="inside-block"),
        pytest.param(lambda text: text[: text.rindex("-->")], id="before-close"),
    ],
)
def test_check_reports_every_truncation_of_a_record(
    run_cli: Run, tmp_path: Path, cut: Callable[[str], str]
) -> None:
    (tmp_path / "record.md").write_text(cut(GOLDEN.read_text(encoding="utf-8")), encoding="utf-8")
    result = run_cli("check", "record.md")
    assert result.returncode == 2, result.stdout
    assert result.stderr.startswith("advisor: error: record.md: ")
    assert "regenerate" in result.stderr


# --------------------------------------------------------------------------- not Unicode


def test_a_lone_surrogate_in_an_answers_file_is_refused(run_cli: Run, tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    text = json.dumps({**BASE_ANSWERS, "project": "Bot"}).replace('"Bot"', '"Bot \\ud800"')
    answers.write_text(text, encoding="ascii")
    (tmp_path / "record.md").write_bytes(ORIGINAL)
    for extra in ([], ["--format", "markdown", "--output", "record.md"]):
        result = run_cli("recommend", "--answers", "answers.json", *extra)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("advisor: error: answers.json: 'project' holds \\ud800")
        assert "lone surrogate" in result.stderr and "Traceback" not in result.stderr
    assert (tmp_path / "record.md").read_bytes() == ORIGINAL


def test_a_lone_surrogate_in_an_answer_id_is_refused(run_cli: Run) -> None:
    result = run_cli("recommend", "--answers", "-", input='{"\\udc80": 1}')
    assert result.returncode == 2
    assert 'the answer id "\\udc80" holds \\udc80' in result.stderr


def test_a_lone_surrogate_through_the_library_is_refused() -> None:
    with pytest.raises(advisor.AnswersError, match="'notes' holds \\\\udfff, a lone surrogate"):
        advisor.advise({**BASE_ANSWERS, "notes": "ok \udfff"})


def test_stdin_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    payload = b'knowledge = "general"\nproject = "caf\xe9"\n'
    result = run_bytes("recommend", "--answers", "-", input=payload, cwd=tmp_path)
    assert result.returncode == 2
    offset = payload.index(b"\xe9")
    assert result.stderr.startswith(
        f"advisor: error: <stdin>: not valid UTF-8 at byte {offset}".encode()
    )
    assert result.stdout == b""


def test_an_answers_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    (tmp_path / "answers.toml").write_bytes(b'project = "\xff"\n')
    result = run_bytes("recommend", "--answers", "answers.toml", cwd=tmp_path)
    assert result.returncode == 2
    assert b"answers.toml: not valid UTF-8 at byte 11" in result.stderr


def test_a_set_value_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    result = run_bytes(
        "recommend", "--answers", EXAMPLE, b"--set", b"project=caf\xe9", cwd=tmp_path
    )
    assert result.returncode == 2
    assert b"'project' holds \\udce9, a lone surrogate" in result.stderr
    assert result.stdout == b""


def test_a_record_with_a_lone_surrogate_is_unreadable(run_cli: Run, tmp_path: Path) -> None:
    text = GOLDEN.read_text(encoding="utf-8")
    damaged = text.replace('"project": "Support', '"project": "\\ud800Support', 1)
    assert damaged != text
    record = tmp_path / "record.md"
    record.write_text(damaged, encoding="utf-8")
    check = run_cli("check", "record.md")
    assert check.returncode == 2, check.stdout
    assert check.stderr.startswith("advisor: error: record.md: ")
    assert "'project' holds \\ud800, a lone surrogate" in check.stderr
    regenerate = run_cli("recommend", "--from-record", "record.md", "--format", "markdown",
                         "--output", "record.md")  # fmt: skip
    assert regenerate.returncode == 2
    assert "Traceback" not in regenerate.stderr
    assert record.read_text(encoding="utf-8") == damaged


def test_a_record_that_is_not_utf8_is_unreadable(tmp_path: Path) -> None:
    data = GOLDEN.read_bytes().replace(b"Support assistant", b"Support\xff assistant", 1)
    (tmp_path / "record.md").write_bytes(data)
    result = run_bytes("check", "record.md", cwd=tmp_path)
    assert result.returncode == 2
    offset = data.index(b"\xff")
    assert f"record.md: not valid UTF-8 at byte {offset}".encode() in result.stderr


def test_output_never_replaces_a_device_or_a_fifo(run_cli: Any, tmp_path: Path) -> None:
    """Renaming the written file over a device or FIFO would destroy it (as root, /dev/null)."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    example = str(ROOT / "examples" / "support-bot.toml")
    result = run_cli("recommend", "--answers", example, "--output", str(fifo))
    assert result.returncode == 2
    assert "not a regular file" in result.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    result = run_cli("recommend", "--answers", example, "--output", "/dev/null")
    assert result.returncode == 2 and stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_a_stop_signal_ends_any_command_with_exit_code_130(signame: str) -> None:
    """A supervisor's SIGTERM or a hang-up stops a command that is waiting (here for its
    answers on standard input) with the interruption code of the exit-code scheme, 130, and a
    one-line message, not the shell's 143 or 129 and no traceback."""
    import signal
    import time

    child = subprocess.Popen(
        [ADVISOR, "recommend", "--answers", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.5)  # started and blocked on standard input
        child.send_signal(getattr(signal, signame))
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130, err
    assert err.strip() == "advisor: interrupted" and out == ""


def _remove_deep(top: Path) -> None:
    """Remove a folder tree of any depth, one level at a time, deepest first."""
    here = os.getcwd()
    os.chdir(top.parent)
    try:
        depth = 0
        while os.path.isdir(top.name):
            os.chdir(top.name)
            depth += 1
        for _ in range(depth):
            for name in os.listdir("."):
                if not os.path.isdir(name):
                    os.unlink(name)
            os.chdir("..")
            os.rmdir(top.name)
    finally:
        os.chdir(here)


def test_check_reads_a_folder_tree_of_any_depth_and_refuses_an_oversized_record(
    tmp_path: Path, run_cli: Any
) -> None:
    """A folder nested past Python's recursion limit (1,000 levels) is walked, and a record at
    the bottom is found and checked; a record file past 4 MiB is refused unread with its size
    limit, not read whole into memory."""
    example = str(ROOT / "examples" / "support-bot.toml")
    made = run_cli("recommend", "--answers", example, "--format", "markdown")
    assert made.returncode == 0, made.stderr
    here = os.getcwd()
    os.chdir(tmp_path)  # relative paths: 1,000 levels would pass PATH_MAX from /tmp/pytest-...
    try:
        for _ in range(1000):  # one level at a time: os.makedirs itself recurses
            os.mkdir("d")
            os.chdir("d")
        with open("0001-record.md", "w", encoding="utf-8") as handle:
            handle.write(made.stdout)
    finally:
        os.chdir(here)
    try:
        checked = run_cli("check", "d", cwd=tmp_path)
    finally:
        _remove_deep(tmp_path / "d")  # pytest's own clean-up recurses: it would fail later
    summary = (checked.stdout + checked.stderr)[-300:]
    assert checked.returncode == 0, summary
    assert "1 record: 1 current" in summary, summary
    big = tmp_path / "big.md"
    with big.open("wb") as handle:
        handle.truncate(5 << 20)
    refused = run_cli("check", str(big))
    assert refused.returncode == 2
    assert "larger than 4 MiB, the limit for a record" in refused.stdout + refused.stderr


def test_a_path_the_system_refuses_is_bad_input_not_an_internal_error(run_cli: Any) -> None:
    """A name longer than the system allows, given as an answers file, a record or an output,
    is exit 2 with the path cut short in the message, not exit 3 with 5,000 characters."""
    long_name = "a" * 5000
    for args in (
        ("recommend", "--answers", long_name),
        ("check", long_name),
        ("recommend", "--answers", str(ROOT / "examples" / "support-bot.toml"), "--output",
         long_name + ".md"),
    ):  # fmt: skip
        result = run_cli(*args)
        assert result.returncode == 2, (args[0], result.stderr[-200:])
        assert "File name too long" in result.stderr and "(5,0" in result.stderr
        assert len(result.stderr) < 400 and "internal error" not in result.stderr
