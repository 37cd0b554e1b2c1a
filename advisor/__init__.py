"""llm-advisor: recommends prompt engineering, RAG, fine-tuning or a combination, with reasons.

Public API (imported lazily, so `import advisor` and `advisor --version` stay fast)::

    from advisor import advise, next_question, Answers, Recommendation
    rec = advise({"knowledge": "private_dynamic", ...})
    rec.techniques            # ['prompt_engineering', 'rag']
    rec.model_dump_json()     # the JSON that `advisor recommend --format json` prints

`Answers` is generated from `rules/questions.toml`; `load_rulebase(rules_dir, kb_dir)` loads
another rule base, and `layer_packs(rulebase, [pack_dir, ...])` layers an organisation's rule
packs over one, to pass as `rulebase=`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from advisor._version import __version__

if TYPE_CHECKING:
    from advisor.analysis.explain import explain
    from advisor.analysis.models import Explanation, Review
    from advisor.analysis.whatif import WhatIfData, what_if
    from advisor.analysis.why import WhyData, why
    from advisor.engine.assemble import advise
    from advisor.engine.decide import decide, next_question
    from advisor.engine.decision import Decision
    from advisor.errors import (
        AdvisorError,
        AnswersError,
        KnowledgeBaseError,
        MissingAnswersError,
        RuleFileError,
    )
    from advisor.knowledge.loader import load_rulebase
    from advisor.knowledge.packs import layer_packs
    from advisor.knowledge.questions import Question
    from advisor.knowledge.rulebase import RuleBase
    from advisor.models import Finding, Recommendation
    from advisor.services.review import review

__all__ = [
    "AdvisorError",
    "Answers",
    "AnswersError",
    "Decision",
    "Explanation",
    "Finding",
    "KnowledgeBaseError",
    "MissingAnswersError",
    "Question",
    "Recommendation",
    "Review",
    "RuleBase",
    "RuleFileError",
    "WhatIfData",
    "WhyData",
    "__version__",
    "advise",
    "decide",
    "explain",
    "layer_packs",
    "load_rulebase",
    "next_question",
    "review",
    "what_if",
    "why",
]

_LAZY = {
    "explain": "advisor.analysis.explain",
    "Explanation": "advisor.analysis.models",
    "what_if": "advisor.analysis.whatif",
    "WhatIfData": "advisor.analysis.whatif",
    "why": "advisor.analysis.why",
    "review": "advisor.services.review",
    "Review": "advisor.analysis.models",
    "WhyData": "advisor.analysis.why",
    "advise": "advisor.engine.assemble",
    "decide": "advisor.engine.decide",
    "Decision": "advisor.engine.decision",
    "next_question": "advisor.engine.decide",
    "AdvisorError": "advisor.errors",
    "AnswersError": "advisor.errors",
    "KnowledgeBaseError": "advisor.errors",
    "MissingAnswersError": "advisor.errors",
    "RuleFileError": "advisor.errors",
    "Finding": "advisor.models",
    "Recommendation": "advisor.models",
    "Question": "advisor.knowledge.questions",
    "RuleBase": "advisor.knowledge.rulebase",
    "load_rulebase": "advisor.knowledge.loader",
    "layer_packs": "advisor.knowledge.packs",
}


def __getattr__(name: str) -> Any:
    if name == "Answers":
        from advisor.knowledge.answers import answers_model
        from advisor.knowledge.loader import default_rulebase

        return answers_model(default_rulebase())
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'advisor' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)


def __dir__() -> list[str]:
    return sorted(__all__)
