"""llm-advisor: recommends prompt engineering, RAG, fine-tuning or a combination, with reasons.

Public API (imported lazily, so `import advisor` and `advisor --version` stay fast)::

    from advisor import advise, next_question, Answers, Recommendation
    rec = advise({"knowledge": "private_dynamic", ...})
    rec.techniques            # ['prompt_engineering', 'rag']
    rec.model_dump_json()     # the JSON that `advisor recommend --format json` prints

`Answers` is generated from `rules/questions.toml` (statically: an `AnswersBase`, a pydantic
model; the package is typed, with `py.typed`); `load_rulebase(rules_dir, kb_dir)` loads another
rule base, and `layer_packs(rulebase, [pack_dir, ...])` layers an organisation's rule packs over
one, to pass as `rulebase=`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from advisor._version import __version__

if TYPE_CHECKING:
    from advisor.analysis.explain import explain
    from advisor.analysis.models import (
        Element,
        Explanation,
        FiredRule,
        Review,
        ReviewFinding,
        SupportingAnswer,
    )
    from advisor.analysis.models import Source as ExplanationSource
    from advisor.analysis.whatif import (
        Change,
        ChangeSet,
        ElementWhatIf,
        Range,
        WhatIfData,
        what_if,
    )
    from advisor.analysis.why import ValueOutcome, WhyData, why
    from advisor.engine.assemble import advise
    from advisor.engine.decide import decide, next_question
    from advisor.engine.decision import Decision
    from advisor.errors import (
        AdvisorError,
        AnswersError,
        ConditionError,
        KnowledgeBaseError,
        MissingAnswersError,
        OutputError,
        RuleFileError,
        UsageError,
    )
    from advisor.knowledge.answers_base import AnswersBase
    from advisor.knowledge.loader import load_rulebase
    from advisor.knowledge.packs import layer_packs
    from advisor.knowledge.questions import Question
    from advisor.knowledge.rulebase import RuleBase
    from advisor.models import (
        EvaluationPlan,
        Finding,
        FineTuningPlan,
        LatencyLedger,
        LedgerStage,
        PromptEngineeringPlan,
        RagPlan,
        RationaleItem,
        Recommendation,
        Source,
        TraceStep,
    )
    from advisor.services.review import review

    Answers = AnswersBase
    """The answers model of the shipped rule base (generated at run time, a subclass)."""

__all__ = [
    "AdvisorError",
    "Answers",
    "AnswersBase",
    "AnswersError",
    "Change",
    "ChangeSet",
    "ConditionError",
    "Decision",
    "Element",
    "ElementWhatIf",
    "EvaluationPlan",
    "Explanation",
    "ExplanationSource",
    "Finding",
    "FineTuningPlan",
    "FiredRule",
    "KnowledgeBaseError",
    "LatencyLedger",
    "LedgerStage",
    "MissingAnswersError",
    "OutputError",
    "PromptEngineeringPlan",
    "Question",
    "RagPlan",
    "Range",
    "RationaleItem",
    "Recommendation",
    "Review",
    "ReviewFinding",
    "RuleBase",
    "RuleFileError",
    "Source",
    "SupportingAnswer",
    "TraceStep",
    "UsageError",
    "ValueOutcome",
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

# name -> module that defines it; imported on first use.
_LAZY = {
    "explain": "advisor.analysis.explain",
    "Element": "advisor.analysis.models",
    "Explanation": "advisor.analysis.models",
    "FiredRule": "advisor.analysis.models",
    "Review": "advisor.analysis.models",
    "ReviewFinding": "advisor.analysis.models",
    "SupportingAnswer": "advisor.analysis.models",
    "Change": "advisor.analysis.whatif",
    "ChangeSet": "advisor.analysis.whatif",
    "ElementWhatIf": "advisor.analysis.whatif",
    "Range": "advisor.analysis.whatif",
    "WhatIfData": "advisor.analysis.whatif",
    "what_if": "advisor.analysis.whatif",
    "ValueOutcome": "advisor.analysis.why",
    "WhyData": "advisor.analysis.why",
    "why": "advisor.analysis.why",
    "advise": "advisor.engine.assemble",
    "decide": "advisor.engine.decide",
    "next_question": "advisor.engine.decide",
    "Decision": "advisor.engine.decision",
    "AdvisorError": "advisor.errors",
    "AnswersError": "advisor.errors",
    "ConditionError": "advisor.errors",
    "KnowledgeBaseError": "advisor.errors",
    "MissingAnswersError": "advisor.errors",
    "OutputError": "advisor.errors",
    "RuleFileError": "advisor.errors",
    "UsageError": "advisor.errors",
    "AnswersBase": "advisor.knowledge.answers_base",
    "load_rulebase": "advisor.knowledge.loader",
    "Question": "advisor.knowledge.questions",
    "RuleBase": "advisor.knowledge.rulebase",
    "layer_packs": "advisor.knowledge.packs",
    "EvaluationPlan": "advisor.models",
    "FineTuningPlan": "advisor.models",
    "Finding": "advisor.models",
    "LatencyLedger": "advisor.models",
    "LedgerStage": "advisor.models",
    "PromptEngineeringPlan": "advisor.models",
    "RagPlan": "advisor.models",
    "RationaleItem": "advisor.models",
    "Recommendation": "advisor.models",
    "Source": "advisor.models",
    "TraceStep": "advisor.models",
    "review": "advisor.services.review",
}
_RENAMED = {"ExplanationSource": ("advisor.analysis.models", "Source")}


def __getattr__(name: str) -> Any:
    if name == "Answers":
        from advisor.knowledge.answers import answers_model
        from advisor.knowledge.loader import default_rulebase

        return answers_model(default_rulebase())
    import importlib

    module_name, attribute = _RENAMED.get(name) or (_LAZY.get(name), name)
    if module_name is None:
        raise AttributeError(f"module 'advisor' has no attribute {name!r}")
    return getattr(importlib.import_module(module_name), attribute)


def __dir__() -> list[str]:
    return sorted(__all__)
