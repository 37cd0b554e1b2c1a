"""llm-advisor: recommends prompt engineering, RAG, fine-tuning or a combination, with reasons.

Public API (imported lazily, so `import advisor` and `advisor --version` stay fast)::

    from advisor import advise, next_question, Answers, Recommendation
    rec = advise({"knowledge": "private_dynamic", ...})
    rec.techniques            # ['prompt_engineering', 'rag']
    rec.model_dump_json()     # the JSON that `advisor recommend --format json` prints

`Answers` is generated from `rules/questions.toml`; `load_rulebase(rules_dir, kb_dir)` loads
another rule base (for example an organisation's rule pack) to pass as `rulebase=`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from advisor._version import __version__

if TYPE_CHECKING:
    from advisor.engine import advise, next_question
    from advisor.errors import (
        AdvisorError,
        AnswersError,
        KnowledgeBaseError,
        MissingAnswersError,
        RuleFileError,
    )
    from advisor.models import Finding, Recommendation
    from advisor.questions import Question
    from advisor.rulebase import RuleBase, load_rulebase

__all__ = [
    "AdvisorError",
    "Answers",
    "AnswersError",
    "Finding",
    "KnowledgeBaseError",
    "MissingAnswersError",
    "Question",
    "Recommendation",
    "RuleBase",
    "RuleFileError",
    "__version__",
    "advise",
    "load_rulebase",
    "next_question",
]

_LAZY = {
    "advise": "advisor.engine",
    "next_question": "advisor.engine",
    "AdvisorError": "advisor.errors",
    "AnswersError": "advisor.errors",
    "KnowledgeBaseError": "advisor.errors",
    "MissingAnswersError": "advisor.errors",
    "RuleFileError": "advisor.errors",
    "Finding": "advisor.models",
    "Recommendation": "advisor.models",
    "Question": "advisor.questions",
    "RuleBase": "advisor.rulebase",
    "load_rulebase": "advisor.rulebase",
}


def __getattr__(name: str) -> Any:
    if name == "Answers":
        from advisor.answers import answers_model
        from advisor.rulebase import default_rulebase

        return answers_model(default_rulebase())
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'advisor' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)


def __dir__() -> list[str]:
    return sorted(__all__)
