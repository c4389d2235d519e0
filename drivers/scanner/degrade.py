"""The degradation set (issue #14): camera-like 1280x720 frames of the codes the terminal sees,
each spoiled in one way a citizen's phone or paper is, generated reproducibly from a seed.

    .venv/bin/python -m drivers.scanner.degrade --out var/degrade [--per-kind 40]

writes the frames as PNG with a manifest (the set is rebuilt from the seed whenever it is
needed; var/ is git-ignored). Tests and the benchmark build the frames in memory from `items()`.

Payloads are the kinds kiosk.domain.payload classifies: 受理编号 (receipt), 预约码, a bare
统一社会信用代码, gsxt.gov.cn links with and without `uniscid`, other government links, and
Chinese text in GB18030 and UTF-8. Each degradation draws its severity from a range chosen so
that the set holds codes at the edge of readability -- not so hard that no decoder reads them,
not so easy that zxing-cpp alone reads them all (docs/scanning.md has the figures).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import qrcode
from qrcode.constants import ERROR_CORRECT_L, ERROR_CORRECT_M
from qrcode.util import MODE_ALPHA_NUM, QRData
from stdnum.cn import uscc as _uscc

from kiosk.domain.application_no import make_application_no
from kiosk.domain.payload import make_appointment_no

from .synth import Look, render_frame

SEED = 20261204
PER_KIND = 40
KINDS = ("motion", "defocus", "noise", "small", "perspective", "rotation", "occlusion",
         "jpeg", "low_contrast", "glare", "moire")

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_PROVINCES = ("js", "zj", "gd", "sd", "hb", "sc", "bj", "sh")
_PLACES = ("江苏省南京市玄武区中山路1号", "浙江省杭州市西湖区文三路90号", "广东省深圳市南山区科技园",
           "四川省成都市锦江区红星路二段", "北京市朝阳区建国门外大街", "湖北省武汉市洪山区珞喻路")
_NAMES = ("张三", "李四光", "王小明", "赵丽颖", "欧阳娜娜", "钱学森")
_ACTIONS = ("便民服务中心 预约办理 营业执照变更", "社保卡补办 材料齐全", "不动产登记 受理中",
            "户籍迁移 请携带身份证原件", "医保报销 窗口3号")


@dataclass(frozen=True)
class Item:
    """One frame of the set: what it shows and how it is spoiled."""
    name: str                  # "<kind>/<index>", stable across runs
    kind: str                  # the degradation
    payload: bytes             # the code's bytes, exactly what a right read gives back
    payload_kind: str          # receipt | appointment | uscc | gsxt | gsxt-uscc | url | gb18030 | utf8
    look: Look
    seed: int                  # background, noise and JPEG of this frame
    ec: str = "M"              # error-correction level
    alnum: bool = False        # alphanumeric mode (short numbers printed small: version 1)

    def frame(self, next_frame: int = 0) -> np.ndarray:
        """The frame (BGR, 1280x720). `next_frame` > 0: the camera's n-th next frame of the same
        scene -- the code has moved a pixel or two and the sensor noise is new."""
        look = self.look
        if next_frame:
            rng = np.random.default_rng([self.seed, next_frame])
            cx, cy = look.center
            look = _replace(look, center=(cx + rng.uniform(-2, 2) / 1280, cy + rng.uniform(-2, 2) / 720),
                            angle=look.angle + rng.uniform(-0.5, 0.5))
        return render_frame(self.payload, look, seed=self.seed * 7 + next_frame,
                            code=make_code(self.payload, self.ec, self.alnum))


def _replace(look: Look, **changes) -> Look:
    from dataclasses import replace
    return replace(look, **changes)


def make_code(payload: bytes, ec: str = "M", alnum: bool = False, module_px: int = 8) -> np.ndarray:
    """A clean code image (0 dark, 255 light, 4-module quiet zone), byte or alphanumeric mode."""
    level = {"L": ERROR_CORRECT_L, "M": ERROR_CORRECT_M}[ec]
    qr = qrcode.QRCode(error_correction=level, box_size=1, border=4)
    qr.add_data(QRData(payload, mode=MODE_ALPHA_NUM) if alnum else payload, optimize=0)
    qr.make(fit=True)
    img = np.where(np.array(qr.get_matrix(), dtype=bool), 0, 255).astype(np.uint8)
    return np.kron(img, np.ones((module_px, module_px), np.uint8))


def code_modules(payload: bytes, ec: str = "M", alnum: bool = False) -> int:
    """Modules per side, quiet zone included."""
    return make_code(payload, ec, alnum, module_px=1).shape[0]


# -- payloads ------------------------------------------------------------------------------------

def _uscc_number(rng: np.random.Generator) -> str:
    body = "9" + "1" + "".join(str(d) for d in rng.integers(0, 10, 6)) + \
        "".join(_USCC_ALPHABET[i] for i in rng.integers(0, len(_USCC_ALPHABET), 9))
    return body + _uscc.calc_check_digit(body)


def payload_of(kind: str, rng: np.random.Generator) -> bytes:
    day = dt.date(2026, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365)))
    if kind == "receipt":
        return make_application_no(day, int(rng.integers(1, 5000))).encode()
    if kind == "appointment":
        return make_appointment_no(day, int(rng.integers(1, 2000))).encode()
    if kind == "uscc":
        return _uscc_number(rng).encode()
    if kind == "gsxt":
        opaque = "".join(rng.choice(list("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789-"), 40))
        return f"https://www.gsxt.gov.cn/%7B{opaque}%7D".encode()
    if kind == "gsxt-uscc":
        prov = _PROVINCES[int(rng.integers(len(_PROVINCES)))]
        return f"http://{prov}.gsxt.gov.cn/index.html?uniscid={_uscc_number(rng)}".encode()
    if kind == "url":
        prov = _PROVINCES[int(rng.integers(len(_PROVINCES)))]
        return f"https://zwfw.{prov}.gov.cn/bmfw/item?id={int(rng.integers(1 << 40)):x}&t=2".encode()
    text = (_PLACES[int(rng.integers(len(_PLACES)))] + " " + _NAMES[int(rng.integers(len(_NAMES)))] + " "
            + _ACTIONS[int(rng.integers(len(_ACTIONS)))])
    return text.encode("gb18030" if kind == "gb18030" else "utf-8")


PAYLOAD_KINDS = ("receipt", "appointment", "uscc", "gsxt", "gsxt-uscc", "url", "gb18030", "utf8")
SHORT_KINDS = ("receipt", "appointment", "uscc")     # fit version 1 in alphanumeric mode


# -- degradations ----------------------------------------------------------------------------------

def _look(kind: str, rng: np.random.Generator, modules: int) -> Look:
    u = rng.uniform
    centre = (u(0.3, 0.7), u(0.3, 0.7))
    angle = u(-12, 12)
    if kind == "motion":
        return Look(code_px=int(u(240, 360)), angle=angle, center=centre, motion=int(u(10, 24)),
                    motion_angle=u(0, 180), noise=3)
    if kind == "defocus":
        return Look(code_px=int(u(260, 380)), angle=angle, center=centre, defocus=u(3.0, 6.0), noise=3)
    if kind == "noise":
        return Look(code_px=int(u(200, 320)), angle=angle, center=centre, blur=1.0, noise=u(30, 55),
                    dark=int(u(30, 60)), light=int(u(170, 210)))
    if kind == "small":
        # Version 1 (21 modules + quiet zone) at 1.0-1.6 pixels per module: <= 34 px per side.
        return Look(code_px=int(round(modules * u(1.0, 1.6))), angle=u(-8, 8), center=centre, blur=0.5, noise=2)
    if kind == "perspective":
        return Look(code_px=int(u(220, 340)), angle=u(-35, 35), tilt=u(0.35, 0.55), center=centre, blur=1.0, noise=3)
    if kind == "rotation":
        return Look(code_px=int(u(120, 200)), angle=u(0, 360), center=centre, blur=1.2, noise=4)
    if kind == "occlusion":
        return Look(code_px=int(u(220, 340)), angle=angle, center=centre, occlude=u(0.12, 0.3),
                    occlude_at=u(0, 360), blur=0.8, noise=3)
    if kind == "jpeg":
        return Look(code_px=int(u(130, 220)), angle=angle, center=centre, blur=1.0, jpeg=int(u(4, 12)), noise=3)
    if kind == "low_contrast":
        mid = u(80, 170)
        gap = u(8, 22)
        return Look(code_px=int(u(220, 340)), angle=angle, center=centre, dark=int(mid - gap / 2),
                    light=int(mid + gap / 2), blur=1.0, noise=u(2, 5))
    if kind == "glare":
        return Look(code_px=int(u(240, 360)), angle=angle, center=centre, glare=u(180, 320),
                    glare_at=(u(0.2, 0.8), u(0.2, 0.8)), glare_size=u(0.15, 0.3), blur=1.0, noise=3)
    if kind == "moire":
        return Look(code_px=int(u(220, 340)), angle=angle, center=centre, moire=u(0.35, 0.7),
                    moire_period=u(5, 14), moire_angle=u(0, 180), blur=1.0, noise=3, dark=40, light=220)
    raise ValueError(f"unknown degradation {kind!r}")


def items(per_kind: int = PER_KIND, seed: int = SEED, kinds: tuple[str, ...] = KINDS) -> Iterator[Item]:
    """The set, in a fixed order; the same seed gives the same set."""
    for k, kind in enumerate(KINDS):
        if kind not in kinds:
            continue
        for i in range(per_kind):
            rng = np.random.default_rng([seed, k, i])
            short = kind == "small"
            pk = (SHORT_KINDS if short else PAYLOAD_KINDS)[i % (3 if short else len(PAYLOAD_KINDS))]
            payload = payload_of(pk, rng)
            ec, alnum = ("L", True) if short else ("M", False)
            look = _look(kind, rng, code_modules(payload, ec, alnum))
            yield Item(f"{kind}/{i:03d}", kind, payload, pk, look, int(rng.integers(1 << 31)), ec, alnum)


def subset(every: int, **kw) -> list[Item]:
    """Every `every`-th item of each degradation: the short run in `make test`."""
    return [it for it in items(**kw) if int(it.name.rsplit("/", 1)[1]) % every == 0]


def main(argv: list[str] | None = None) -> int:
    import cv2
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path("var/degrade"))
    ap.add_argument("--per-kind", type=int, default=PER_KIND)
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    manifest = []
    for it in items(args.per_kind, args.seed):
        path = args.out / f"{it.name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), it.frame())
        manifest.append({"file": f"{it.name}.png", "kind": it.kind, "payload_kind": it.payload_kind,
                         "payload_hex": it.payload.hex(), "seed": it.seed, "ec": it.ec, "alnum": it.alnum,
                         "look": asdict(it.look)})
    (args.out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    print(f"{len(manifest)} frames in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


# -- scoring a reader on the set ---------------------------------------------------------------

@dataclass
class Score:
    """Per degradation: frames, exact reads, misreads (a wrong payload passed on), and wrong
    reads held back unconfirmed (caught by confirm.py: they never reach the application)."""
    frames: int = 0
    exact: int = 0
    misread: int = 0
    held_wrong: int = 0
    names_misread: list = None

    def add(self, outcome: str, name: str = "") -> None:
        self.frames += 1
        if outcome == "exact":
            self.exact += 1
        elif outcome == "misread":
            self.misread += 1
            self.names_misread = (self.names_misread or []) + [name]
        elif outcome == "held_wrong":
            self.held_wrong += 1


def judge_codes(payload: bytes, accepted: list[bytes], held: list[bytes] = ()) -> str:
    """"exact" | "misread" | "held_wrong" | "unread" for what a reader gave on one frame: the
    first (largest) accepted payload counts; any other accepted payload is a misread too."""
    if accepted:
        return "exact" if all(a == payload for a in accepted) else "misread"
    if any(h != payload for h in held):
        return "held_wrong"
    return "unread"


def score_pipeline(pipeline, frames) -> dict[str, Score]:
    """The camera pipeline as a camera would see each scene: the frame, and when its read is
    pending confirmation (confirm.py), the camera's next frame of the same scene.
    `frames`: iterable of (item, gray frame)."""
    scores: dict[str, Score] = {}
    for it, gray in frames:
        scan = pipeline.process_still(gray)
        if not scan.codes and scan.pending:
            scan2 = pipeline.process_still(it.frame(next_frame=1), next_frame=True)
            if scan2.codes:
                scan = scan2
        outcome = judge_codes(it.payload, [c.raw for c in scan.codes], [c.raw for c in scan.pending])
        scores.setdefault(it.kind, Score()).add(outcome, it.name)
    return scores


def score_decoder(decoder, frames) -> dict[str, Score]:
    """A decoder alone on each frame: whatever it returns counts (no confirmation)."""
    scores: dict[str, Score] = {}
    for it, gray in frames:
        codes = sorted(decoder.decode(gray), key=lambda c: -c.area)
        scores.setdefault(it.kind, Score()).add(judge_codes(it.payload, [c.data for c in codes[:1]]), it.name)
    return scores


def total(scores: dict[str, Score]) -> Score:
    t = Score()
    for s in scores.values():
        t.frames += s.frames
        t.exact += s.exact
        t.misread += s.misread
        t.held_wrong += s.held_wrong
        t.names_misread = (t.names_misread or []) + (s.names_misread or [])
    return t
