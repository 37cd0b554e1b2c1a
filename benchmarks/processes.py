"""Whole-process figures: start-up of the console script, time to the first question in a
pseudo-terminal, and peak memory, each next to a bare `python -c pass` measured in the same run.

Children run the installed console script with a warm disk cache of the rule base and with
bytecode cached (as after `pip install`), in a pycache folder of their own:
`PYTHONDONTWRITEBYTECODE` (set in some sandboxes) would otherwise make every run recompile.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from timing import Figure, profile_lines

# Each command is started by a small helper (python -S, ~10 MiB) that times it from fork to
# exit and reads its peak RSS from wait4(): started straight from this (large) process, the
# figures would include this process's fork cost, and the child's ru_maxrss would report this
# process's memory.
_HELPER = """import os, sys, time
start = time.perf_counter_ns()
pid = os.fork()
if pid == 0:
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
elapsed = time.perf_counter_ns() - start
print(elapsed, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""
_ANSI = re.compile(rb"\x1b(\[[0-9;?]*[ -/]*[@-~]|\][^\x07]*\x07|[()][0-9A-Za-z]|[=>])")


def console_script() -> str:
    candidate = Path(sys.executable).parent / "advisor"
    if candidate.exists():
        return str(candidate)
    raise SystemExit("the 'advisor' console script is not installed next to this Python")


def child_env(scratch: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONDONTWRITEBYTECODE", "ADVISOR_NO_CACHE")
    }
    env.update(
        PYTHONPYCACHEPREFIX=str(scratch / "pycache"),
        ADVISOR_CACHE_DIR=str(scratch / "cache"),
        NO_COLOR="1",
        TERM="xterm",
        PROMPT_TOOLKIT_NO_CPR="1",
    )
    env.update(extra)
    return env


@dataclass(frozen=True)
class Command:
    name: str
    argv: tuple[str, ...]
    env: dict[str, str]
    screen_text: str | None = None  # wait for this on a pseudo-terminal instead of the exit


def run_once(command: Command, cwd: Path) -> tuple[float, int]:
    """Seconds until the process exits (or shows `screen_text`), and its peak RSS in KiB."""
    if command.screen_text is not None:
        return _until_on_screen(command, cwd), 0
    result = subprocess.run(
        [sys.executable, "-S", "-c", _HELPER, *command.argv],
        cwd=cwd,
        env=command.env,
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed, rss, code = (int(part) for part in result.stdout.split())
    if code not in (0, 1):
        raise RuntimeError(f"{command.name}: exit {code}")
    return elapsed / 1e9, rss


def _until_on_screen(command: Command, cwd: Path, timeout: float = 20.0) -> float:
    needle = (command.screen_text or "").encode()
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child: become the command, on the pseudo-terminal
        os.chdir(cwd)
        os.execve(command.argv[0], list(command.argv), command.env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    seen = b""
    try:
        while True:
            left = timeout - (time.perf_counter() - start)
            if left <= 0:
                raise RuntimeError(f"{command.name}: {needle!r} not on screen after {timeout} s")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                raise RuntimeError(
                    f"{command.name} ended before showing {needle!r}: {seen[-300:]!r}"
                )
            seen += chunk
            if needle in _ANSI.sub(b"", seen):
                return time.perf_counter() - start
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


def measure(commands: Sequence[Command], runs: int, cwd: Path) -> dict[str, tuple[Figure, int]]:
    """Every command `runs` times, interleaved; the figures and the median peak RSS (KiB)."""
    for command in commands:  # warm-up: bytecode and the rule-base cache
        run_once(command, cwd)
    times: dict[str, list[float]] = {c.name: [] for c in commands}
    memory: dict[str, list[int]] = {c.name: [] for c in commands}
    for _ in range(runs):
        for command in commands:
            elapsed, rss = run_once(command, cwd)
            times[command.name].append(elapsed)
            memory[command.name].append(rss)
    return {
        name: (Figure(name, tuple(values)), sorted(memory[name])[len(memory[name]) // 2])
        for name, values in times.items()
    }


@dataclass(frozen=True)
class ImportProfile:
    tree: list[str]
    """Imports down to the depth asked, costing at least the floor, in import order."""
    top_own: list[str]
    """The imports with the largest own time, largest first."""
    modules: frozenset[str]
    """Every module imported."""
    total_s: float
    """The sum of every import's own time."""

    def imported(self, package: str) -> bool:
        return any(name == package or name.startswith(package + ".") for name in self.modules)

    def cumulative_s(self, module: str) -> float:
        """The cumulative time of `module`'s import line (0 when not imported)."""
        return self.cumulative_us.get(module, 0) / 1e6

    cumulative_us: dict[str, int]
    """Per module, the cumulative time of its import line, in microseconds."""
    own_us: dict[str, int]
    """Per module, its own import time, in microseconds."""

    def own_s(self, *packages: str) -> float:
        """The own import time of every module of these packages, summed."""
        return (
            sum(
                own
                for name, own in self.own_us.items()
                if any(name == p or name.startswith(p + ".") for p in packages)
            )
            / 1e6
        )


def import_profile(
    argv: Sequence[str],
    env: dict[str, str],
    cwd: Path,
    depth: int = 2,
    floor_ms: float = 3.0,
    top: int = 12,
) -> ImportProfile:
    """`python -X importtime` of a command (which must succeed)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {result.returncode}: {result.stderr[-500:]}")
    tree = []
    own_times: list[tuple[int, str]] = []
    cumulative: dict[str, int] = {}
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, total, name = line[len("import time:") :].split("|")
        level = (len(name) - len(name.lstrip()) - 1) // 2
        module = name.strip()
        own_times.append((int(own), module))
        cumulative.setdefault(module, int(total))
        if level <= depth and int(total) >= floor_ms * 1000:
            tree.append(
                f"{'  ' * level}{module}: {int(total) / 1000:.1f} ms (own {int(own) / 1000:.1f} ms)"
            )
    own_times.sort(key=lambda item: (-item[0], item[1]))
    top_own = [f"{module}: own {own / 1000:.1f} ms" for own, module in own_times[:top]]
    return ImportProfile(
        tree=tree,
        top_own=top_own,
        modules=frozenset(module for _, module in own_times),
        total_s=sum(own for own, _ in own_times) / 1e6,
        cumulative_us=cumulative,
        own_us={module: own for own, module in own_times},
    )


def command_profile(
    argv: Sequence[str], env: dict[str, str], cwd: Path, top: int = 20
) -> tuple[str, str]:
    """cProfile of a whole command (one warm run first): top functions by own, cumulative time."""
    import pstats

    subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=True)
    out = cwd / "command.prof"
    subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(out), *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        check=True,
    )
    stats = pstats.Stats(str(out))
    return (
        profile_lines(stats, "tottime", top),
        profile_lines(stats, "cumulative", top, skip_imports=True),
    )


def write_answers(answers: dict[str, object], folder: Path) -> Path:
    path = folder / "answers.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    return path
