"""The 区域通办 catalogue: matters, their 办事指南 and form schemas.

One matter per TOML file in config/catalog/ (hall side); served as JSON by GET /api/v1/catalog
and cached by kiosks. `Matter.from_dict` is the one parser both sides use, so the kiosk can
never accept a matter the hall's validator would reject. Errors name the key and the fix.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Mapping

FIELD_TYPES = frozenset({"text", "number", "date", "choice", "address", "phone", "uscc", "id_number"})
# Where a form field may be pre-filled from. "" = not pre-filled.
PREFILL_SOURCES = frozenset({
    "", "idcard.name", "idcard.id_number", "idcard.sex", "idcard.birth", "idcard.address",
    "licence.uscc", "licence.name", "licence.legal_representative", "licence.address",
})
AUDIENCES = frozenset({"个人", "法人"})


class CatalogError(ValueError):
    def __init__(self, where: str, key: str, message: str):
        super().__init__(f"{where}: {key}: {message}")
        self.where, self.key, self.message = where, key, message


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    type: str
    required: bool = True
    prefill: str = ""
    choices: tuple[str, ...] = ()
    max_length: int = 0        # 0 = no limit beyond the type's own
    pattern: str = ""          # optional regular expression the value must match
    hint: str = ""
    example: str = ""          # a valid sample value: shown as placeholder, used by the autopilot


@dataclass(frozen=True)
class Material:
    id: str
    name: str
    form: str                  # 原件 / 复印件 / 原件和复印件 / 电子材料
    copies: int = 1
    source: str = "申请人自备"
    required: bool = True
    exempt_by_sharing: bool = False   # 免提交: the hall gets it by data sharing
    blank_form: str = ""
    sample: str = ""
    window_allowed: bool = False      # 允许窗口补交: may be handed in at the window later
                                      # (originals to inspect or surrender) instead of a photo


@dataclass(frozen=True)
class Step:
    name: str
    description: str
    materials: tuple[str, ...] = ()


@dataclass(frozen=True)
class Basis:
    law: str
    article: str = ""


@dataclass(frozen=True)
class Faq:
    q: str
    a: str


@dataclass(frozen=True)
class Matter:
    code: str
    name: str
    version: int
    type: str                       # 事项类型: 行政许可 / 公共服务 / 行政确认 / 其他行政权力
    audience: tuple[str, ...]       # 受理范围
    department: str                 # 实施机构
    basis: tuple[Basis, ...]
    conditions: tuple[str, ...]
    materials: tuple[Material, ...]
    steps: tuple[Step, ...]
    promised_days: int              # 承诺时限, working days; 0 = 即办
    legal_days: int                 # 法定时限, working days; 0 = 即办
    fee: str                        # 收费标准, never blank ("不收费")
    fee_basis: str
    location: str
    hours: str
    visits: int                     # 到现场次数
    consult_phone: str
    complaint_phone: str
    form: tuple[FormField, ...]
    faq: tuple[Faq, ...] = ()

    @property
    def time_limit_text(self) -> str:
        if self.promised_days == 0:
            return "即办"
        return f"承诺{self.promised_days}个工作日（法定{self.legal_days}个工作日）"

    def to_dict(self) -> dict:
        d = asdict(self)
        # Keys added after matters were first served are left out at their default, so the
        # content (and its hash, hall/catalog_versions.py) of an unchanged matter stays the same.
        for m in d["materials"]:
            for key, default in _LATER_MATERIAL_KEYS.items():
                if m.get(key) == default:
                    del m[key]
        return d

    @classmethod
    def from_dict(cls, d: dict, where: str = "matter") -> "Matter":
        r = _Reader(d, where)
        m = cls(
            code=r.str("code"), name=r.str("name"), version=r.int("version", minimum=1),
            type=r.str("type"), audience=tuple(r.str_list("audience")),
            department=r.str("department"),
            basis=tuple(Basis(**b) for b in r.table_list("basis", {"law"}, {"article"})),
            conditions=tuple(r.str_list("conditions")),
            materials=tuple(_material(x) for x in r.table_list(
                "materials", {"id", "name", "form"},
                {"copies", "source", "required", "exempt_by_sharing", "blank_form", "sample",
                 *_LATER_MATERIAL_KEYS})),
            steps=tuple(_step(x) for x in r.table_list("steps", {"name", "description"}, {"materials"})),
            promised_days=r.int("promised_days", minimum=0), legal_days=r.int("legal_days", minimum=0),
            fee=r.str("fee"), fee_basis=r.str("fee_basis", allow_empty=True),
            location=r.str("location"), hours=r.str("hours"), visits=r.int("visits", minimum=0),
            consult_phone=r.str("consult_phone"), complaint_phone=r.str("complaint_phone"),
            form=tuple(_field(x, where) for x in r.table_list(
                "form", {"name", "label", "type"},
                {"required", "prefill", "choices", "max_length", "pattern", "hint", "example"})),
            faq=tuple(Faq(**f) for f in r.table_list("faq", {"q", "a"}, set(), optional=True)),
        )
        r.reject_unknown()
        bad = [a for a in m.audience if a not in AUDIENCES]
        if bad or not m.audience:
            raise CatalogError(where, "audience", f"must be a non-empty list of {sorted(AUDIENCES)}, got {bad or '[]'}")
        return m


_LATER_MATERIAL_KEYS = {"window_allowed": False}


def _material(x: dict) -> Material:
    return Material(**x)


def _step(x: dict) -> Step:
    return Step(name=x["name"], description=x["description"], materials=tuple(x.get("materials", ())))


def _field(x: dict, where: str) -> FormField:
    f = FormField(**{**x, "choices": tuple(x.get("choices", ()))})
    if f.type not in FIELD_TYPES:
        raise CatalogError(where, f"form.{f.name}.type", f"unknown type {f.type!r}; use one of {sorted(FIELD_TYPES)}")
    if f.prefill not in PREFILL_SOURCES:
        raise CatalogError(where, f"form.{f.name}.prefill",
                           f"unknown source {f.prefill!r}; use one of {sorted(s for s in PREFILL_SOURCES if s)}")
    if f.type == "choice" and not f.choices:
        raise CatalogError(where, f"form.{f.name}.choices", "a choice field needs a non-empty choices list")
    return f


class _Reader:
    """Typed access to one matter's dict that remembers which keys were read."""

    def __init__(self, d: dict, where: str):
        if not isinstance(d, dict):
            raise CatalogError(where, "(top)", "expected a table of matter keys")
        self.d, self.where, self.seen = d, where, set()

    def _get(self, key: str, optional: bool = False):
        self.seen.add(key)
        if key not in self.d:
            if optional:
                return None
            raise CatalogError(self.where, key, "missing; every 办事指南 element is required")
        return self.d[key]

    def str(self, key: str, allow_empty: bool = False) -> str:
        v = self._get(key)
        if not isinstance(v, str) or (not allow_empty and not v.strip()):
            raise CatalogError(self.where, key, "expected a non-empty string")
        return v

    def int(self, key: str, minimum: int) -> int:
        v = self._get(key)
        if not isinstance(v, int) or isinstance(v, bool) or v < minimum:
            raise CatalogError(self.where, key, f"expected an integer >= {minimum}")
        return v

    def str_list(self, key: str) -> list[str]:
        v = self._get(key)
        if not isinstance(v, (list, tuple)) or not v or not all(isinstance(s, str) and s.strip() for s in v):
            raise CatalogError(self.where, key, "expected a non-empty list of strings")
        return v

    def table_list(self, key: str, required: set, optional_keys: set, optional: bool = False) -> list[dict]:
        v = self._get(key, optional)
        if v is None:
            return []
        if not isinstance(v, (list, tuple)) or (not v and not optional) or not all(isinstance(t, dict) for t in v):
            raise CatalogError(self.where, key, f"expected a non-empty array of tables ([[{key}]])")
        for i, t in enumerate(v):
            missing = required - t.keys()
            unknown = t.keys() - required - optional_keys
            if missing:
                raise CatalogError(self.where, f"{key}[{i}]", f"missing {sorted(missing)}")
            if unknown:
                raise CatalogError(self.where, f"{key}[{i}]", f"unknown keys {sorted(unknown)}; allowed: {sorted(required | optional_keys)}")
        return v

    def reject_unknown(self) -> None:
        unknown = set(self.d) - self.seen
        if unknown:
            raise CatalogError(self.where, ", ".join(sorted(unknown)), "unknown key(s); check the spelling")


@dataclass(frozen=True)
class Catalog:
    matters: tuple[Matter, ...]
    etag: str = ""
    # Pinyin initials of each matter's name (code -> "hwggssszsp"), computed by the hall: the
    # kiosk searches by them, and without them it would load pypinyin's phrase dictionary (~48 MB
    # resident, docs/memory.md) for 30 names. A catalogue key of its own, not a matter key, so a
    # matter's content and hash stay as they were and older terminals ignore it.
    initials: Mapping[str, str] = field(default_factory=dict)

    def get(self, code: str) -> Matter:
        for m in self.matters:
            if m.code == code:
                return m
        raise KeyError(code)

    def to_json(self) -> dict:
        d: dict = {"matters": [m.to_dict() for m in self.matters]}
        if self.initials:
            d["initials"] = dict(sorted(self.initials.items()))
        return d

    @classmethod
    def from_json(cls, d: dict, etag: str = "") -> "Catalog":
        matters = tuple(Matter.from_dict(m, where=f"catalog.matters[{i}]")
                        for i, m in enumerate(d.get("matters", [])))
        return cls(matters, etag=etag, initials=_initials(d.get("initials"), {m.code for m in matters}))


def _initials(raw, codes: set[str]) -> dict[str, str]:
    """The hall's initials, kept only where they are what they claim: short, printable, lower
    case (non-hanzi characters of the name stay in them: 、（）), for a matter in this
    catalogue. Anything else is dropped (the kiosk then works them out itself), never an error:
    a search aid must not cost a terminal its catalogue."""
    if not isinstance(raw, dict):
        return {}
    return {code: text for code, text in raw.items()
            if code in codes and isinstance(text, str) and len(text) <= 200
            and text == text.lower() and text.isprintable()}
