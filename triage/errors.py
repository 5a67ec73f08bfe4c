"""Errors raised by the triage library; each message says how to fix the problem."""


class TriageError(Exception):
    """Base class of every error the library raises on purpose."""


class ConfigError(TriageError):
    """A YAML data file (rules, catalog, commune, teencode, decision) is malformed."""


class ModelError(TriageError):
    """A model folder is missing, corrupt or does not match this code."""


class DataError(TriageError):
    """A training or evaluation CSV is malformed."""
