"""The package version, kept apart so `advisor --version` imports nothing else."""

__version__ = "0.1.0"
