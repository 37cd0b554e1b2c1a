"""`advisor` console script: argument parsing, one error handler, exit codes.

One exit-code scheme for every command: 0 nothing to report; 1 the command found something
(`check`: a stale record; `lint`: an error; `review`: a finding at or above --fail-on; `test`:
a mismatch); 2 bad input or usage (answers, rule or knowledge-base files; the message says which
file, where, and how to fix it); 3 an internal error (a bug: please report it); 130 interrupted. A
crash can never read as a result.
Each subcommand lives in its own module under `advisor.cli` and is imported only when it runs,
so `advisor --version` and `--help` stay fast.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

from advisor._version import __version__

INTERNAL_ERROR = 3
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EIO, errno.EBADF, errno.EFBIG, errno.EDQUOT}

# name -> (module, one-line help). Each module defines `add_arguments(parser)` and `run(args)`.
COMMANDS: dict[str, tuple[str, str]] = {
    "ask": ("advisor.cli.ask", "answer the questions interactively and get a recommendation"),
    "recommend": ("advisor.cli.recommend", "recommend techniques for a file of answers"),
    "schema": ("advisor.cli.schema", "print the JSON Schema of the answers and the recommendation"),
    "check": ("advisor.cli.check", "re-evaluate decision records with the current rules"),
    "questions": ("advisor.cli.questions", "list the questions (markdown table or JSON)"),
    "lint": ("advisor.cli.lint", "check the rule base over the whole answer space"),
    "explain": (
        "advisor.cli.explain",
        "HOW: the rules and minimal answers behind each piece of advice",
    ),
    "whatif": (
        "advisor.cli.whatif",
        "the minimal answer changes that add or remove each piece of advice",
    ),
    "review": ("advisor.cli.review", "check a proposed approach against the advice (CI gate)"),
    "why": ("advisor.cli.why", "WHY a question is asked: what each of its answers would change"),
    "test": ("advisor.cli.test", "run scenario files against the rules in force (and packs)"),
    "mcp": ("advisor.cli.mcp", "serve the advisor to coding agents over stdio (MCP server)"),
}

DESCRIPTION = """\
Recommends prompt engineering, RAG, fine-tuning or a combination for an LLM
application, and explains why, citing a knowledge base.

examples:
  advisor recommend --answers answers.toml            # readable summary
  advisor recommend --answers answers.json --format json
  advisor recommend --answers answers.toml --set latency_budget_ms=300
  advisor schema                                       # JSON Schema of the answers
"""


def _global_options(parser: argparse.ArgumentParser, default: Any) -> None:
    """--rules, --kb and --pack, accepted before the subcommand and after it (`advisor check --rules
    DIR`). On a subcommand the default is SUPPRESS, so a value given before it is kept."""
    group = parser.add_argument_group("rule base options (before or after the command)")
    group.add_argument(
        "--rules",
        metavar="DIR",
        default=default,
        help="use the rule base in DIR instead of the shipped one",
    )
    group.add_argument(
        "--kb",
        metavar="DIR",
        default=default,
        help="use the knowledge base in DIR instead of the shipped one",
    )
    group.add_argument(
        "--pack",
        metavar="DIR",
        action="append",
        default=default,
        dest="packs",
        help="layer the rule pack in DIR over the rules (repeatable, applied in order; "
        "default: $ADVISOR_PACKS, else [tool.llm-advisor] packs in ./pyproject.toml)",
    )


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, sized without `shutil`: argparse builds a formatter for every
    `add_argument` and sizes it with `shutil.get_terminal_size`, and importing shutil (with
    bz2, lzma and zlib) cost every run about 2 ms. The width is worked out the same way."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        super().__init__(
            prog, indent_increment, max_help_position, _columns() - 2 if width is None else width
        )


class _RawFormatter(_Formatter, argparse.RawDescriptionHelpFormatter):
    """The same, keeping the description's line breaks (the top-level help)."""


def _columns() -> int:
    """The terminal's width as `shutil.get_terminal_size` gives it: $COLUMNS when positive,
    else the width of standard output's terminal, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


def build_parser(only: str | None = None, listed: bool = True) -> argparse.ArgumentParser:
    """The parser of every command; with `only`, the arguments of that command alone are added
    (the others are listed with their help, unless `listed` is false: then they are left out,
    which a run that parses its own command's arguments does not miss), so a run imports no
    other command's module."""
    parser = argparse.ArgumentParser(
        prog="advisor", description=DESCRIPTION, formatter_class=_RawFormatter
    )
    parser.add_argument("-V", "--version", action="version", version=f"advisor {__version__}")
    _global_options(parser, None)
    shared = argparse.ArgumentParser(add_help=False, formatter_class=_Formatter)
    _global_options(shared, argparse.SUPPRESS)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        if only is not None and not listed and name != only:
            continue
        sub = subparsers.add_parser(
            name,
            help=help_text,
            description=help_text,
            parents=[shared],
            formatter_class=_Formatter,
        )
        sub.set_defaults(_module=module)
        if only is None or name == only:
            _command_module(module).add_arguments(sub)
    return parser


_VALUED_OPTIONS = ("--rules", "--kb", "--pack")
"""The global options that take a value (which may be written as a separate word)."""


def chosen_command(args: Sequence[str]) -> str:
    """The command named on the command line ("" when none is), found as argparse would: the
    first word that is not a global option or its value (options may be abbreviated)."""
    at = _command_index(args)
    word = args[at] if at is not None else ""
    return word if word in COMMANDS else ""


def _command_index(args: Sequence[str]) -> int | None:
    """Where the command word stands: the first word that is not a global option or its value
    (a `--` stands there itself); None when there is none."""
    takes_value = False
    for at, word in enumerate(args):
        if takes_value:
            takes_value = False
        elif word == "--" or not word.startswith("-"):
            return at
        elif word.startswith("--") and "=" not in word:
            takes_value = any(option.startswith(word) for option in _VALUED_OPTIONS)
    return None


def _command_words(args: list[str]) -> tuple[list[str], str | None]:
    """The arguments with a `--` that only stands before the command removed (`advisor --
    recommend ...` runs `recommend`), and the word that stands where the command should but
    names none (None when there is no such word)."""
    at = _command_index(args)
    if at is None:
        return args, None
    word = args[at]
    if word == "--":
        following = args[at + 1] if at + 1 < len(args) else ""
        if following in COMMANDS:
            return [*args[:at], *args[at + 1 :]], None
        return args, following or None
    return args, None if word in COMMANDS else word


def _unknown_command(word: str, args: Sequence[str] = ()) -> int:
    """A word in the command's place that names none: say so, with the nearest command, or,
    when it is the value of a command's option written before the command, where that goes."""
    import difflib

    near = difflib.get_close_matches(word, list(COMMANDS), n=1, cutoff=0.6)
    hint = f"; did you mean '{near[0]}'?" if near else ""
    at = _command_index(args)
    before = args[at - 1] if at else ""
    if before.startswith("-") and not any(
        option.startswith(before.split("=")[0]) for option in (*_VALUED_OPTIONS, "--help")
    ):
        hint = f"; '{before} {word}' looks like a command's option: put it after the command"
    build_parser("").print_usage(sys.stderr)
    print(f"advisor: error: unknown command '{word}'{hint}", file=sys.stderr)
    print(
        f"advisor: hint: the commands are {', '.join(COMMANDS)}; see 'advisor --help'",
        file=sys.stderr,
    )
    return 2


def _signals_interrupt() -> None:
    """SIGTERM and SIGHUP (a supervisor stopping the job, a closed terminal) stop a command as
    Ctrl-C does: files are written atomically, so nothing is left half-written, and the exit
    code is 130 as for any interruption, not the shell's 143 or 129. The questionnaire installs
    its own handlers while it runs, which also save the answers so far."""
    import signal

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is None:  # not on this platform
            continue
        try:
            signal.signal(signum, interrupt)
        except (ValueError, OSError):  # not the main thread, or not allowed here
            return


def _command_module(module: str) -> Any:
    return importlib.import_module(module)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if argv is None:  # the console script itself, not a caller in the same process
        _signals_interrupt()
    for stream in (sys.stdout, sys.stderr):
        # A terminal or pipe that cannot show a character (PYTHONIOENCODING=ascii, LC_ALL=C)
        # gets an escape for it instead of a crash.
        if stream is not None and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    if sys.stdout is None or sys.stderr is None:
        return _closed_stream()
    try:
        args_list, unknown = _command_words(args_list)
        if unknown is not None and not {"-h", "--help", "-V", "--version"} & set(args_list):
            return _unknown_command(unknown, args_list)
        command = chosen_command(args_list)
        before = args_list[: _command_index(args_list) or 0]
        # the other commands are listed only where help before the command word shows them
        parser = build_parser(command, listed=not command or bool({"-h", "--help"} & set(before)))
        args = parser.parse_args(args_list)
        if args.command is None:
            default = _default_command()
            if default is None:
                if sys.stdin.isatty() and sys.stdout.isatty():
                    parser.print_help()  # a terminal, but no questionnaire installed
                    return 0
                print(
                    "advisor: no command given and no terminal to ask in; see the commands below",
                    file=sys.stderr,
                )
                parser.print_help(sys.stderr)
                return 2
            args = build_parser(default).parse_args([*args_list, default])
        _refuse_writing_over_an_input(args)
        module = importlib.import_module(args._module)
        code: int = module.run(args)
        sys.stdout.flush()  # a full device (/dev/full) fails here, inside the handler
        return code
    except KeyboardInterrupt:
        print("\nadvisor: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except OSError as exc:
        if exc.filename is not None or exc.errno not in _OUTPUT_ERRNOS:
            return _report(exc)
        _silence_stdout()
        reason = exc.strerror or str(exc)
        _tell(f"advisor: error: cannot write to standard output: {reason}")
        return 2
    except Exception as exc:  # the one place that turns errors into exit codes
        return _report(exc)


def _refuse_writing_over_an_input(args: argparse.Namespace) -> None:
    """An output file that is one of the command's own input files would be destroyed by the
    run (an answers file replaced by a recommendation, a record by JSON, the questionnaire's
    saved answers by its record): a usage error, exit 2. The one exception is regenerating a
    decision record in place (`recommend --from-record R --format markdown --output R`), which
    `advisor check` prints."""
    output = getattr(args, "output", None)
    if not output or output == "-":
        return
    regenerating = args.command == "recommend" and getattr(args, "format", None) == "markdown"
    for flag in ("--answers", "--from-record", "--save-answers"):
        given = getattr(args, flag[2:].replace("-", "_"), None)
        if not given or given == "-" or (regenerating and flag == "--from-record"):
            continue
        if _same_file(output, given):
            from advisor.errors import UsageError
            from advisor.knowledge.answers import SHOWN_PATH, cut

            raise UsageError(
                f"--output {cut(output, SHOWN_PATH)} is also the file given to {flag}: "
                "writing one would destroy the other; name another file"
            )


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return os.path.abspath(a) == os.path.abspath(b)


def _silence_stdout(stream: Any = None) -> None:
    """After the reader of a pipe went away (or a full device refused a write): nothing more is
    written to the stream (no second error at exit)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, (stream or sys.stdout).fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _tell(text: str) -> None:
    """An error message on standard error; if even that cannot be written (`2>/dev/full`), the
    exit code still says what happened."""
    try:
        print(text, file=sys.stderr)
        sys.stderr.flush()
    except (OSError, ValueError):
        _silence_stdout(sys.stderr)


def _closed_stream() -> int:
    """Started with standard output or error closed (`advisor ... >&-`): nothing can be shown."""
    if sys.stderr is not None:
        print("advisor: error: standard output is closed; nothing can be printed", file=sys.stderr)
    return 2


def _default_command() -> str | None:
    """Bare `advisor` starts the questionnaire in a terminal, when it is installed."""
    if "ask" in COMMANDS and sys.stdin.isatty() and sys.stdout.isatty():
        return "ask"
    return None


_PATH_ERRNOS = frozenset(
    getattr(errno, name)
    for name in ("ENAMETOOLONG", "ELOOP", "ENOTDIR", "ENOENT", "EACCES", "EPERM", "EISDIR")
    if hasattr(errno, name)
)
"""Errors of a path itself: the input named something the system cannot use."""


def _report(exc: Exception) -> int:
    from advisor.errors import AdvisorError, MissingAnswersError
    from advisor.render.terminal import visible

    if isinstance(exc, AdvisorError):
        _tell(visible(f"advisor: error: {exc}"))
        if isinstance(exc, MissingAnswersError) and exc.nothing_given:
            _tell(
                "advisor: hint: write one 'id = value' line per question ('advisor questions' "
                "lists them with their values), or answer them in the terminal with "
                "'advisor ask --save-answers FILE'"
            )
        elif isinstance(exc, MissingAnswersError):
            _tell("advisor: hint: add them to the answers file or pass --set id=value")
        return exc.exit_code
    if isinstance(exc, OSError) and exc.filename is not None and exc.errno in _PATH_ERRNOS:
        # a path the user gave that the system refuses (too long, a loop of links, ...)
        from advisor.knowledge.answers import SHOWN_PATH, cut

        name = cut(str(exc.filename), SHOWN_PATH)
        _tell(visible(f"advisor: error: {name}: {exc.strerror or exc}; check the path"))
        return 2
    if os.environ.get("ADVISOR_DEBUG"):
        raise exc
    _tell(
        visible(f"advisor: internal error: {type(exc).__name__}: {exc}") + "\n"
        "This is a bug in llm-advisor. Run again with ADVISOR_DEBUG=1 for the traceback "
        "and report it."
    )
    return INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
