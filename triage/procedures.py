"""The procedure catalog: the 17 procedure ids of PROCEDURES.md and their cards (YAML)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from triage.errors import ConfigError
from triage.yaml_files import read_yaml

PROCEDURE_IDS: tuple[str, ...] = (
    "dang_ky_thuong_tru", "xoa_dang_ky_thuong_tru", "tach_ho", "dieu_chinh_thong_tin_cu_tru",
    "dang_ky_tam_tru", "gia_han_tam_tru", "xoa_dang_ky_tam_tru", "khai_bao_tam_vang",
    "thong_bao_luu_tru", "xac_nhan_thong_tin_cu_tru", "khai_bao_thong_tin_cu_tru",
    "cap_can_cuoc", "cap_doi_cap_lai_can_cuoc", "xac_nhan_so_cmnd", "dinh_danh_dien_tu",
    "dang_ky_xe", "khai_bao_vu_khi_tho_so",
)

_CARD_FIELDS = ("name", "old_names", "documents", "processing_time", "fee", "where", "online",
                "legal_basis", "last_reviewed")


@dataclass(frozen=True, slots=True)
class ProcedureCard:
    """What a citizen needs to know to carry out one procedure."""

    id: str
    name: str
    old_names: tuple[str, ...]
    documents: tuple[str, ...]
    processing_time: str
    fee: str
    where: str
    online: str
    legal_basis: str
    last_reviewed: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "old_names": list(self.old_names),
                "documents": list(self.documents), "processing_time": self.processing_time,
                "fee": self.fee, "where": self.where, "online": self.online,
                "legal_basis": self.legal_basis, "last_reviewed": self.last_reviewed}


class ProcedureCatalog:
    """All procedure cards by id; loading checks that exactly the 17 known ids are present."""

    def __init__(self, cards: dict[str, ProcedureCard], version: str) -> None:
        self.cards = cards
        self.version = version

    def __getitem__(self, procedure_id: str) -> ProcedureCard:
        return self.cards[procedure_id]

    @classmethod
    def load(cls, path: Path | None = None) -> ProcedureCatalog:
        """Load and validate the catalog YAML (default: the bundled one)."""
        source = path or resources.files("triage") / "data" / "procedures.yaml"
        data = read_yaml(source, "procedure catalog")
        if not isinstance(data, dict) or not isinstance(data.get("procedures"), dict):
            raise ConfigError(f"{source}: expected 'version' and a 'procedures' mapping id -> card")
        cards: dict[str, ProcedureCard] = {}
        for procedure_id, raw in data["procedures"].items():
            if procedure_id not in PROCEDURE_IDS:
                raise ConfigError(f"{source}: unknown procedure id {procedure_id!r}; "
                                  "use the ids of PROCEDURES.md")
            cards[procedure_id] = _parse_card(procedure_id, raw, source)
        missing = [pid for pid in PROCEDURE_IDS if pid not in cards]
        if missing:
            raise ConfigError(f"{source}: procedures missing from the catalog: {missing}")
        return cls(cards, str(data.get("version", "")))


def _parse_card(procedure_id: str, raw: Any, source: Any) -> ProcedureCard:
    where = f"{source}: procedure {procedure_id!r}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a mapping")
    missing = [name for name in _CARD_FIELDS if name not in raw]
    if missing:
        raise ConfigError(f"{where}: missing fields {missing}")
    unknown = set(raw) - set(_CARD_FIELDS)
    if unknown:
        raise ConfigError(f"{where}: unknown fields {sorted(unknown)}")
    for name in ("documents", "old_names"):
        if not isinstance(raw[name], list) or not all(isinstance(v, str) for v in raw[name]):
            raise ConfigError(f"{where}: {name!r} must be a list of strings")
    if not raw["documents"]:
        raise ConfigError(f"{where}: 'documents' must not be empty")
    for name in ("name", "processing_time", "fee", "where", "online", "legal_basis", "last_reviewed"):
        if not isinstance(raw[name], (str, int, float)) or not str(raw[name]).strip():
            raise ConfigError(f"{where}: {name!r} must be a non-empty text")
    return ProcedureCard(id=procedure_id, name=raw["name"], old_names=tuple(raw["old_names"]),
                         documents=tuple(raw["documents"]),
                         processing_time=str(raw["processing_time"]), fee=str(raw["fee"]),
                         where=str(raw["where"]), online=str(raw["online"]),
                         legal_basis=str(raw["legal_basis"]), last_reviewed=str(raw["last_reviewed"]))
