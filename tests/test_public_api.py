"""Every public name of `advisor` resolves, lazily, to what its static type says it is."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

import advisor


@pytest.mark.parametrize("name", advisor.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(advisor, name) is not None


def test_answers_is_an_answers_base_model() -> None:
    answers: Any = advisor.Answers(knowledge="general")
    assert isinstance(answers, advisor.AnswersBase)
    assert issubclass(advisor.Answers, advisor.AnswersBase)
    assert advisor.ExplanationSource is not advisor.Source  # two models, two names


def test_errors_are_advisor_errors() -> None:
    for name in ("AnswersError", "MissingAnswersError", "RuleFileError", "KnowledgeBaseError",
                 "ConditionError", "UsageError", "OutputError"):  # fmt: skip
        assert issubclass(getattr(advisor, name), advisor.AdvisorError), name


def test_import_advisor_stays_light() -> None:
    code = "import sys, advisor; print('pydantic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
