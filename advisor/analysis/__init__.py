"""Exact analysis of the whole answer space: decision diagrams, lint."""
