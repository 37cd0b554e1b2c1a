"""The terminal questionnaire behind `advisor ask` (and a bare `advisor` in a terminal).

The walk is the engine's: `interview` keeps the answers and asks the engine's walk what comes
next, `widgets` turns one question into a questionary prompt, `flow` runs the whole session
(questions, review, recommendation, saving). Reading and writing files are services
(`advisor.services.answer_files`, `advisor.services.files`).
Nothing here is imported until `advisor ask` runs.
"""
