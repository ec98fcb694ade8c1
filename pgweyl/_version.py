"""The version of pgweyl (one place; recorded in every result and JSON output)."""

__version__ = "0.1.0"
