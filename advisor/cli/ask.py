"""`advisor ask` (and a bare `advisor` in a terminal): the interactive questionnaire.

Only the questions the decision graph needs are asked, in the engine's walk order; answers given
with --answers/--set (or saved by an interrupted session, --resume) are not asked again. Without
a terminal it never waits for input: complete answers give the recommendation, incomplete ones
exit 2 naming what is missing.

A session stopped by Ctrl-C, Ctrl-D, SIGTERM or SIGHUP exits 130 ("interrupted", whatever the
signal) after saving its answers to the partial file; a partial file found at the start is
offered for resuming only if it can be used (else the offer is to start again, naming the
problem).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.cli.common import add_answer_arguments
from advisor.services.answer_files import free_partial, partial_for

if TYPE_CHECKING:
    from advisor.ask.terminal import Terminal
    from advisor.knowledge.rulebase import RuleBase
    from advisor.services.answer_files import SessionFiles
    from advisor.services.answers import AnswerLayers

DEFAULT_ANSWERS = "advisor-answers.toml"
DEFAULT_RECORD = "docs/decisions/NNNN-choose-prompt-engineering-rag-or-fine-tuning.md"
"""Shown in --help: NNNN is the next free number in docs/decisions/ (MADR 4 file names)."""
_DERIVED = "\x00derived"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_answer_arguments(parser)
    parser.add_argument(
        "--resume",
        metavar="FILE",
        nargs="?",
        const=_DERIVED,
        help="continue a session stopped with Ctrl-C from its saved answers (default FILE: "
        f"{partial_for(Path(DEFAULT_ANSWERS))}, or NAME.partial.toml for --save-answers NAME.toml)",
    )
    parser.add_argument(
        "--save-answers",
        metavar="FILE",
        help=f"save the answers to FILE (TOML, or JSON for *.json) without asking where "
        f"(default: offered as {DEFAULT_ANSWERS})",
    )
    parser.add_argument(
        "--output",
        metavar="FILE",
        help="write the markdown decision record to FILE without asking where "
        f"(default: offered as {DEFAULT_RECORD}, the next free number)",
    )
    parser.add_argument("--no-color", action="store_true", help="no colours (as does NO_COLOR=1)")


def run(args: argparse.Namespace, terminal: Terminal | None = None) -> int:
    """Interactive when a terminal is given (tests) or stdin and stdout are terminals."""
    import sys

    from advisor.ask.terminal import Terminal, terminal_width, wants_color
    from advisor.cli.common import load_rulebase_from

    interactive = terminal is not None or (sys.stdin.isatty() and sys.stdout.isatty())
    if terminal is None:
        terminal = Terminal(
            color=wants_color(sys.stdout, args.no_color), width=terminal_width(sys.stdout)
        )
    if args.no_color:
        terminal.color = False
    if args.resume is not None and args.answers:
        from advisor.errors import AdvisorError

        raise AdvisorError("use --answers FILE or --resume, not both")
    rulebase = load_rulebase_from(args)
    plan = _plan(args)
    if interactive and args.resume is None and not args.answers and plan.partial_path.is_file():
        from advisor.ask.flow import offer_restart, offer_resume, stopping_on_signals

        problem = _partial_problem(plan.partial_path, rulebase)
        try:
            with stopping_on_signals():
                if problem is None:
                    if offer_resume(plan.partial_path, terminal):
                        plan.resumed_from = plan.partial_path
                elif not offer_restart(plan.partial_path, problem, terminal):
                    terminal.err.write(f"advisor: stopped; {plan.partial_path} is left as it is\n")
                    return 130
        except (KeyboardInterrupt, EOFError):
            terminal.err.write("advisor: stopped before any answer; nothing to save\n")
            return 130
        plan.stale_partial = plan.partial_path
    layers = _layers(args, rulebase, plan)
    if not interactive:
        return _without_terminal(layers, rulebase, plan, terminal)
    from advisor.ask.flow import Session
    from advisor.ask.interview import Interview

    return Session(Interview(rulebase, layers), terminal, plan).run()


def _partial_problem(path: Path, rulebase: RuleBase) -> str | None:
    """Why the partial file at `path` cannot be resumed (unreadable, not TOML, answers the rule
    base refuses), or None when it can."""
    from advisor.errors import AdvisorError, AnswersError
    from advisor.services.answers import gather

    try:
        gather(rulebase, partial=path).validated(rulebase)
    except AnswersError as exc:
        return "; ".join(exc.problems)
    except AdvisorError as exc:
        return str(exc)
    return None


def _plan(args: argparse.Namespace) -> SessionFiles:
    from advisor.services.answer_files import SessionFiles, resume_command
    from advisor.services.record_names import next_record_path

    answers_path = Path(args.save_answers or DEFAULT_ANSWERS)
    derived = partial_for(answers_path)
    explicit_resume = args.resume not in (None, _DERIVED)
    partial = Path(args.resume) if explicit_resume else derived
    if args.resume is None and args.answers and derived.is_file():
        # an earlier session's partial answers, not offered for resuming when --answers is
        # given: this session keeps its own beside them instead of replacing them
        partial = free_partial(derived)
        explicit_resume = True
    words: list[str] = []
    for flag, value in (("--rules", args.rules), ("--kb", args.kb)):
        if value:
            words += [flag, value]
    words.append("ask")
    for flag, value in (("--save-answers", args.save_answers), ("--output", args.output)):
        if value:
            words += [flag, value]
    return SessionFiles(
        answers_path=answers_path,
        answers_explicit=args.save_answers is not None,
        record_path=Path(args.output) if args.output else next_record_path(),
        record_explicit=args.output is not None,
        partial_path=partial,
        resume_command=resume_command(words, partial if explicit_resume else None),
        resumed_from=partial if args.resume is not None else None,
        stale_partial=partial
        if args.resume is not None and partial.name.endswith(".partial.toml")
        else None,
    )


def _layers(args: argparse.Namespace, rulebase: RuleBase, plan: SessionFiles) -> AnswerLayers:
    """The answers known before asking, validated: a resumed session, --answers, then --set."""
    from advisor.cli.common import answer_layers

    return answer_layers(args, rulebase, partial=plan.resumed_from).validated(rulebase)


def _without_terminal(
    layers: AnswerLayers, rulebase: RuleBase, plan: SessionFiles, terminal: Terminal
) -> int:
    """No terminal to ask in: recommend if nothing is missing, else say what is (exit 2)."""
    from advisor.engine.decide import decide, walk
    from advisor.errors import AdvisorError
    from advisor.knowledge.answers import plain_answers
    from advisor.render import render
    from advisor.services.answer_files import answers_header, answers_text
    from advisor.services.files import write_file

    given = layers.given()
    missing = walk(given, rulebase).missing
    if missing:
        ids = ", ".join(q.id for q in missing)
        raise AdvisorError(
            "advisor ask needs a terminal to ask questions (standard input or output is not "
            f"one) and {len(missing)} answer(s) are missing: {ids}\n"
            "advisor: hint: pass them with --answers FILE (TOML or JSON; see `advisor schema`) "
            "or --set id=value, or run advisor ask in a terminal"
        )
    decision = decide(plain_answers(given, rulebase), rulebase)
    files = []
    if plan.answers_explicit:
        path = plan.answers_path
        files.append((path, answers_text(decision.given, rulebase, path, answers_header(path))))
    if plan.record_explicit:
        files.append((plan.record_path, render(decision, "markdown")))
    for path, _ in files:
        if path.exists():
            raise AdvisorError(
                f"{path} already exists: not overwritten (remove it or name another file)"
            )
    terminal.out.write(render(decision, "text", color=terminal.color, width=terminal.width))
    for path, text in files:
        write_file(path, text)
        terminal.err.write(f"advisor: wrote {path}\n")
    return 0
