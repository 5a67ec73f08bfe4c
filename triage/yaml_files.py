"""Reading the YAML files officers and analysts edit, with one error shape for a file that cannot be read."""

from __future__ import annotations

from typing import Any

import yaml

from triage.errors import ConfigError


def read_yaml(source: Any, what: str) -> Any:
    """Parse a YAML file (a path or an importlib resource); ConfigError naming the file if it cannot be read."""
    try:
        return yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{source}: cannot read {what}: {exc}") from exc
