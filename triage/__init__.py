"""triage: classify and route messages sent to a commune police Zalo Official Account.

>>> from triage import Triage
>>> t = Triage.load()
>>> t.classify("nhà tôi bị trộm xe máy").label
'crime_tip'
"""

from triage.engine import Triage
from triage.errors import ConfigError, DataError, ModelError, TriageError
from triage.labels import LABELS
from triage.result import TriageResult

__all__ = ["LABELS", "ConfigError", "DataError", "ModelError", "Triage", "TriageError", "TriageResult"]
__version__ = "0.1.0"
