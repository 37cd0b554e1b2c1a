"""The engine: compile a rule base, walk the answers, decide, assemble the Recommendation."""
