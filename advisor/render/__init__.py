"""Renderers: the Recommendation (and its decision) as text, JSON, a MADR record, Mermaid."""
