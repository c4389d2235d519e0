"""Read systemd/99-bianmin-kiosk.rules: which USB IDs become which device name, in which group.

The rules file is the one list of supported readers and scanners: `kiosk doctor` reads it to
tell a technician which `lsusb` IDs it expects, and the tests read it to check every rule.
Only the subset of udev syntax the file uses is understood; anything else is an error here, so a
typo shows up in the tests instead of silently matching nothing on a terminal.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

INSTALLED = Path("/etc/udev/rules.d/99-bianmin-kiosk.rules")

_PAIR = re.compile(r'\s*([A-Z_]+(?:\{[A-Za-z0-9_]+\})?)\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*(?:,|$)')
_MATCH_OPS = ("==", "!=")
_MATCH_KEYS = ("ACTION", "SUBSYSTEM", "KERNEL", "DRIVER", "ENV", "ATTR", "ATTRS", "SUBSYSTEMS",
               "KERNELS", "DRIVERS", "TAG", "TAGS")
_ASSIGN_KEYS = ("SYMLINK", "GROUP", "OWNER", "MODE", "ENV", "TAG", "GOTO", "LABEL", "RUN")


class RulesError(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    line: int
    matches: dict[str, tuple[str, str]]        # key -> (operator, value), e.g. ATTRS{idVendor}
    assigns: dict[str, tuple[str, str]]
    comment: str = ""                          # the comment line just above, e.g. "Prolific PL2303"

    def assigned(self, key: str) -> str:
        return self.assigns.get(key, ("", ""))[1]

    def matched(self, key: str) -> str:
        op, value = self.matches.get(key, ("", ""))
        return value if op == "==" else ""


@dataclass(frozen=True)
class UsbId:
    """One supported device: `lsusb` shows vendor:product (product "" = any of that vendor)."""
    vendor: str
    product: str
    kind: str                                  # "idcard" | "scanner" | "idcard-usb" | "printer-usb"
    group: str
    comment: str = ""
    symlink: str = ""                          # "bianmin-idcard" -> /dev/bianmin-idcard

    def shows_as(self) -> str:
        return f"{self.vendor}:{self.product or '*'}"

    def matches(self, vendor: str, product: str) -> bool:
        return vendor.lower() == self.vendor and (not self.product or product.lower() == self.product)


@dataclass
class RulesFile:
    rules: list[Rule] = field(default_factory=list)

    def usb_ids(self) -> list[UsbId]:
        ids = []
        for r in self.rules:
            vendor = r.matched("ATTRS{idVendor}") or r.matched("ATTR{idVendor}")
            if not vendor:
                continue
            product = r.matched("ATTRS{idProduct}") or r.matched("ATTR{idProduct}")
            symlink = r.assigned("SYMLINK")
            kind = symlink.removeprefix("bianmin-") if symlink else \
                r.assigned("ENV{BIANMIN_KIND}") or ("printer-usb" if r.assigned("GROUP") == "lp" else "")
            ids.append(UsbId(vendor, product, kind, r.assigned("GROUP"), r.comment, symlink))
        return ids

    def for_kind(self, kind: str) -> list[UsbId]:
        return [u for u in self.usb_ids() if u.kind == kind]


def parse_rules(text: str, source: str = "rules") -> RulesFile:
    out = RulesFile()
    comment = ""
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            comment = ""
            continue
        if line.startswith("#"):
            comment = line.lstrip("# ").strip()
            continue
        if line.endswith("\\"):
            raise RulesError(f"{source}:{no}: line continuations are not used in this file; keep one rule per line")
        out.rules.append(_parse_line(line, no, source, comment))
        comment = ""
    return out


def load_rules(path: Path = INSTALLED) -> RulesFile:
    return parse_rules(path.read_text(encoding="utf-8"), str(path))


def _parse_line(line: str, no: int, source: str, comment: str) -> Rule:
    matches, assigns = {}, {}
    pos = 0
    while pos < len(line):
        m = _PAIR.match(line, pos)
        if not m:
            raise RulesError(f"{source}:{no}: cannot read a KEY==\"value\" pair at column {pos + 1}: {line[pos:pos + 30]!r}")
        key, op, value = m.group(1), m.group(2), m.group(3)
        base = key.split("{", 1)[0]
        if op in _MATCH_OPS:
            if base not in _MATCH_KEYS:
                raise RulesError(f"{source}:{no}: {key} cannot be matched with {op}")
            matches[key] = (op, value)
        else:
            if base not in _ASSIGN_KEYS:
                raise RulesError(f"{source}:{no}: {key} cannot be assigned (did you mean ==?)")
            assigns[key] = (op, value)
        pos = m.end()
    return Rule(no, matches, assigns, comment)
