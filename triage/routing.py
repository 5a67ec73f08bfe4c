"""Routing: from a decision to queue, priority, whom to notify and what the bot replies.

Contacts, hamlets, office hours and reply templates come from one YAML file per commune.
"""

from __future__ import annotations

import functools
import string
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from triage.errors import ConfigError
from triage.labels import Action, Label, Priority, Queue
from triage.phrases import PhraseIndex
from triage.procedures import ProcedureCard, ProcedureCatalog
from triage.text import TextNormalizer
from triage.yaml_files import read_yaml

REPLY_KEYS = ("crime_urgent", "crime_tip", "procedure", "procedure_general", "chat", "review")
PLACEHOLDERS = {"commune_name", "duty_phone", "office_hours", "address", "procedure_name",
                "hamlet_officer", "hamlet_officer_phone"}


@dataclass(frozen=True, slots=True)
class Contact:
    """Someone the service can notify."""

    name: str
    title: str
    phone: str


@dataclass(frozen=True, slots=True)
class Hamlet:
    """A hamlet (thôn) of the commune and its officer."""

    id: str
    name: str
    aliases: tuple[str, ...]
    officer: Contact


@dataclass(frozen=True)
class Commune:
    """One commune's configuration: contacts, hamlets, hours and reply templates."""

    id: str
    name: str
    address: str
    duty_phone: str
    emergency_phone: str
    chief: Contact
    office_hours: str
    hamlets: dict[str, Hamlet]
    replies: dict[str, str]
    hamlet_index: PhraseIndex[str]
    version: str

    @classmethod
    def load(cls, path: Path, normalizer: TextNormalizer) -> Commune:
        """Load and validate one commune YAML file."""
        data = read_yaml(Path(path), "commune config")
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a mapping")
        where = f"{path}"
        for key in ("id", "name", "address", "duty_phone", "office_hours", "chief", "hamlets", "replies"):
            if key not in data:
                raise ConfigError(f"{where}: missing {key!r}")
        hamlets: dict[str, Hamlet] = {}
        index: PhraseIndex[str] = PhraseIndex(strict_accents=False)
        if not isinstance(data["hamlets"], list) or not data["hamlets"]:
            raise ConfigError(f"{where}: 'hamlets' must be a non-empty list")
        for raw in data["hamlets"]:
            hamlet = _parse_hamlet(raw, where)
            if hamlet.id in hamlets:
                raise ConfigError(f"{where}: hamlet id {hamlet.id!r} is defined twice")
            hamlets[hamlet.id] = hamlet
            for name in (hamlet.name, *hamlet.aliases):
                index.add(hamlet.id, normalizer.normalize(name))
        replies = data["replies"]
        if not isinstance(replies, dict):
            raise ConfigError(f"{where}: 'replies' must be a mapping")
        missing = [key for key in REPLY_KEYS if not isinstance(replies.get(key), str)]
        if missing:
            raise ConfigError(f"{where}: reply templates missing: {missing}")
        for key in REPLY_KEYS:
            unknown = {field for _, field, _, _ in string.Formatter().parse(replies[key]) if field} - PLACEHOLDERS
            if unknown:
                raise ConfigError(f"{where}: reply {key!r} uses unknown placeholders {sorted(unknown)}; "
                                  f"allowed: {sorted(PLACEHOLDERS)}")
        return cls(id=str(data["id"]), name=str(data["name"]), address=str(data["address"]),
                   duty_phone=str(data["duty_phone"]),
                   emergency_phone=str(data.get("emergency_phone", "113")),
                   chief=_parse_contact(data["chief"], f"{where}: chief"),
                   office_hours=str(data["office_hours"]), hamlets=hamlets,
                   replies={key: replies[key] for key in REPLY_KEYS}, hamlet_index=index,
                   version=str(data.get("version", "")))


class CommuneDirectory:
    """Every commune config in a folder, by id, with a default one."""

    def __init__(self, communes: dict[str, Commune], default: str) -> None:
        if default not in communes:
            raise ConfigError(f"default commune {default!r} not found; known: {sorted(communes)}")
        self.communes = communes
        self.default = default

    @classmethod
    def load(cls, folder: Path | None = None, default: str = "dai_hong",
             normalizer: TextNormalizer | None = None) -> CommuneDirectory:
        """Load every `*.yaml` in the folder (default: the bundled communes)."""
        folder = Path(folder) if folder else Path(str(resources.files("triage") / "data" / "communes"))
        normalizer = normalizer or TextNormalizer()
        communes: dict[str, Commune] = {}
        for path in sorted(folder.glob("*.yaml")):
            commune = Commune.load(path, normalizer)
            if commune.id in communes:
                raise ConfigError(f"{path}: commune id {commune.id!r} is used by two files")
            communes[commune.id] = commune
        if not communes:
            raise ConfigError(f"{folder}: no commune config (*.yaml) found")
        return cls(communes, default)

    def get(self, commune_id: str | None) -> Commune:
        """The commune with this id (the default one for None); KeyError names the known ids."""
        key = commune_id or self.default
        if key not in self.communes:
            raise KeyError(f"unknown commune {key!r}; known: {sorted(self.communes)}")
        return self.communes[key]


@dataclass(frozen=True)
class Route:
    """What happens to a message: action, queue, priority, notifications, reply, procedure card."""

    action: Action
    queue: Queue
    priority: Priority
    notify: tuple[dict[str, str], ...]
    reply: str
    procedure: ProcedureCard | None

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "queue": self.queue, "priority": self.priority,
                "notify": [dict(n) for n in self.notify], "reply": self.reply,
                "procedure": self.procedure.to_dict() if self.procedure else None}


def route(label: Label, urgent: bool, procedure_id: str | None, needs_review: bool,
          hamlet_ids: list[str], commune: Commune, catalog: ProcedureCatalog) -> Route:
    """Route one decided message. Crime tips always reach an officer, whatever the confidence."""
    hamlets = [commune.hamlets[h] for h in dict.fromkeys(hamlet_ids)]
    fields = {"commune_name": commune.name, "duty_phone": commune.duty_phone,
              "office_hours": commune.office_hours, "address": commune.address,
              "procedure_name": "", "hamlet_officer": "", "hamlet_officer_phone": ""}
    if hamlets:
        fields["hamlet_officer"] = hamlets[0].officer.name
        fields["hamlet_officer_phone"] = hamlets[0].officer.phone
    if label == "crime_tip":
        notify = [_notify("duty_officer", "Trực ban", commune.duty_phone, commune.name)]
        notify += [_notify("hamlet_officer", h.officer.name, h.officer.phone, h.name) for h in hamlets]
        if urgent:
            notify.append(_notify("chief", commune.chief.name, commune.chief.phone, commune.name))
        template = "crime_urgent" if urgent else "crime_tip"
        return Route("handoff", "crime_tips", "urgent" if urgent else "high", tuple(notify),
                     commune.replies[template].format_map(fields), None)
    if needs_review:
        return Route("handoff", "review", "normal", (), commune.replies["review"].format_map(fields), None)
    if label == "procedure":
        if procedure_id is None:
            return Route("handoff", "procedures", "normal", (),
                         commune.replies["procedure_general"].format_map(fields), None)
        card = catalog[procedure_id]
        fields["procedure_name"] = card.name
        reply = commune.replies["procedure"].format_map(fields) + "\n" + _card_text(card)
        return Route("auto_reply", "procedures", "normal", (), reply, card)
    return Route("auto_reply", "chat", "low", (), commune.replies["chat"].format_map(fields), None)


def _notify(role: str, name: str, phone: str, place: str) -> dict[str, str]:
    return {"role": role, "name": name, "phone": phone, "place": place}


@functools.lru_cache(maxsize=64)
def _card_text(card: ProcedureCard) -> str:
    documents = "\n".join(f"- {doc}" for doc in card.documents)
    return (f"Hồ sơ gồm:\n{documents}\nThời hạn giải quyết: {card.processing_time}\n"
            f"Lệ phí: {card.fee}\nNơi nộp: {card.where}\nNộp trực tuyến: {card.online}")


def _parse_contact(raw: Any, where: str) -> Contact:
    if not isinstance(raw, dict) or not all(isinstance(raw.get(k), str) for k in ("name", "phone")):
        raise ConfigError(f"{where}: a contact needs 'name' and 'phone' texts")
    return Contact(name=raw["name"], title=str(raw.get("title", "")), phone=raw["phone"])


def _parse_hamlet(raw: Any, where: str) -> Hamlet:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not isinstance(raw.get("name"), str):
        raise ConfigError(f"{where}: each hamlet needs an 'id' and a 'name'")
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise ConfigError(f"{where}: hamlet {raw['id']!r}: 'aliases' must be a list of texts")
    return Hamlet(id=raw["id"], name=raw["name"], aliases=tuple(aliases),
                  officer=_parse_contact(raw.get("officer"), f"{where}: hamlet {raw['id']!r} officer"))
