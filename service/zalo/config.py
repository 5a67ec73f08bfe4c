"""The `zalo:` section of each commune YAML: officers' Zalo ids and the connector's own reply templates.

The section is optional (a commune without it gets no officer alerts and uses the default
templates below, which hold no facts of their own: only the commune's placeholders).
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from triage.errors import ConfigError
from triage.yaml_files import read_yaml

TEMPLATE_KEYS = ("welcome", "media", "alert", "escalation")
PLACEHOLDERS = {"commune_name", "duty_phone", "emergency_phone", "office_hours", "address", "procedures",
                "place", "received_at", "link", "minutes"}
DEFAULT_TEMPLATES = {
    "welcome": "Cảm ơn anh/chị đã quan tâm {commune_name}. Anh/chị có thể nhắn tin để báo tin về an ninh, trật "
               "tự hoặc hỏi thủ tục: {procedures}. Khẩn cấp, gọi ngay {emergency_phone} hoặc trực ban "
               "{duty_phone}.",
    "media": "Dạ, {commune_name} đã nhận được nội dung anh/chị gửi. Anh/chị vui lòng nhắn thêm vài dòng chữ mô tả "
             "ngắn gọn sự việc (việc gì, ở đâu, khi nào) để cán bộ xử lý. Khẩn cấp, gọi ngay {emergency_phone} "
             "hoặc trực ban {duty_phone}.",
    "alert": "TIN BÁO KHẨN gửi {commune_name}{place} lúc {received_at}. Mở để xem và xác nhận: {link}",
    "escalation": "CHƯA AI XÁC NHẬN sau {minutes} phút: tin báo khẩn gửi {commune_name}{place} lúc {received_at}. "
                  "Xem: {link}",
}


@dataclass(frozen=True)
class ZaloCommune:
    """One commune's officers on Zalo and its connector templates."""

    duty: tuple[str, ...] = ()
    chief: tuple[str, ...] = ()
    hamlets: dict[str, tuple[str, ...]] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_TEMPLATES))


def load_zalo_configs(folder: Path | None) -> dict[str, ZaloCommune]:
    """The `zalo:` section of every commune YAML in the folder (default: the bundled ones), by commune id."""
    folder = Path(folder) if folder else Path(str(resources.files("triage") / "data" / "communes"))
    configs = {}
    for path in sorted(folder.glob("*.yaml")):
        data = read_yaml(path, "commune config")
        if isinstance(data, dict) and "id" in data:
            configs[str(data["id"])] = _parse(data.get("zalo") or {}, path)
    return configs


def _parse(raw: Any, path: Path) -> ZaloCommune:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: 'zalo' must be a mapping")
    officers = raw.get("officers") or {}
    hamlets = officers.get("hamlets") or {}
    if not isinstance(officers, dict) or not isinstance(hamlets, dict):
        raise ConfigError(f"{path}: 'zalo.officers' and 'zalo.officers.hamlets' must be mappings")
    templates = {**DEFAULT_TEMPLATES, **(raw.get("replies") or {})}
    for key, template in templates.items():
        if key not in TEMPLATE_KEYS or not isinstance(template, str):
            raise ConfigError(f"{path}: zalo reply {key!r} must be a text and one of {list(TEMPLATE_KEYS)}")
        unknown = {name for _, name, _, _ in string.Formatter().parse(template) if name} - PLACEHOLDERS
        if unknown:
            raise ConfigError(f"{path}: zalo reply {key!r} uses unknown placeholders {sorted(unknown)}; "
                              f"allowed: {sorted(PLACEHOLDERS)}")
    return ZaloCommune(duty=_ids(officers.get("duty"), path, "duty"), chief=_ids(officers.get("chief"), path, "chief"),
                       hamlets={str(h): _ids(ids, path, f"hamlets.{h}") for h, ids in hamlets.items()},
                       templates=templates)


def _ids(raw: Any, path: Path, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(item, (str, int)) for item in raw):
        raise ConfigError(f"{path}: zalo.officers.{where} must be a list of Zalo user ids")
    return tuple(str(item) for item in raw)
