"""Sample paper documents for the simulated camera: what a citizen lays under the kiosk's camera
when it asks for a material. Drawn at run time with Pillow and the shipped CJK font (no stored
binaries); everything on them is fictitious and marked 样本.

    lease_contract()      场地租赁合同 (first page): the 设置场地使用权证明 of 户外广告设施设置审批
    licence_copy()        营业执照（复印件）
    site_photo_sheet()    设置位置现状照片及效果图 (a sheet with a drawn photo and a sketch)

Each returns a BGR numpy array (the camera's colour order) of the page lying on a counter,
slightly turned, as a camera would see it: SimulatedCamera.show_image() takes it as is.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT = Path(__file__).resolve().parents[2] / "assets" / "fonts" / "wqy-microhei.ttc"
PAGE = (900, 1272)            # A4 portrait at ~108 dpi
INK = (30, 30, 34)
RED = (200, 30, 30)


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    lines, line = [], ""
    for ch in text:
        # closing punctuation never starts a line (it hangs into the margin instead)
        if draw.textlength(line + ch, font=font) > width and ch not in "，。、；：）》”！？":
            lines.append(line)
            line = ch
        else:
            line += ch
    return lines + ([line] if line else [])


def _paragraphs(draw, y: int, items: list[str], font, x: int = 80, width: int = 740, gap: int = 10) -> int:
    for text in items:
        for line in _wrap(draw, text, font, width):
            draw.text((x, y), line, font=font, fill=INK)
            y += font.size + gap
        y += gap
    return y


def _seal(page: Image.Image, centre: tuple[int, int], text: str, radius: int = 95) -> None:
    """A round red seal with its text along the rim and a star: what a company chop looks like."""
    layer = Image.new("RGBA", page.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    cx, cy = centre
    d.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=RED + (210,), width=7)
    star = [(cx + (34 if i % 2 == 0 else 14) * math.sin(i * math.pi / 5),
             cy - (34 if i % 2 == 0 else 14) * math.cos(i * math.pi / 5)) for i in range(10)]
    d.polygon(star, fill=RED + (210,))
    f = _font(24)
    n = len(text)
    for i, ch in enumerate(text):
        a = math.radians(-150 + 300 * i / max(1, n - 1))
        r = radius - 26
        glyph = Image.new("RGBA", (34, 34), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((5, 2), ch, font=f, fill=RED + (220,))
        glyph = glyph.rotate(-math.degrees(a), resample=Image.BICUBIC)
        layer.alpha_composite(glyph, (int(cx + r * math.sin(a) - 17), int(cy - r * math.cos(a) - 17)))
    page.alpha_composite(layer)


def _sample_mark(page: Image.Image) -> None:
    layer = Image.new("RGBA", page.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    d.text((page.width - 250, 36), "样本 · 虚构内容", font=_font(30), fill=(150, 150, 150, 200))
    page.alpha_composite(layer)


def _on_counter(page: Image.Image, angle: float = -2.5, size: tuple[int, int] = (1600, 1300)) -> np.ndarray:
    """The page on a light counter top, slightly turned, a little soft and unevenly lit."""
    w, h = size
    bg = np.linspace(150, 185, w, dtype=np.float32)[None, :] + np.linspace(0, 20, h, dtype=np.float32)[:, None]
    counter = np.stack([bg * 0.93, bg * 0.97, bg], axis=2)
    rng = np.random.default_rng(7)
    counter += rng.normal(0, 3, counter.shape)
    canvas = Image.fromarray(np.clip(counter, 0, 255).astype(np.uint8), "RGB").convert("RGBA")
    shadow = Image.new("RGBA", page.size, (0, 0, 0, 90)).rotate(angle, expand=True, resample=Image.BICUBIC)
    turned = page.rotate(angle, expand=True, resample=Image.BICUBIC, fillcolor=(0, 0, 0, 0))
    x, y = (w - turned.width) // 2, (h - turned.height) // 2
    canvas.alpha_composite(shadow.filter(ImageFilter.GaussianBlur(8)), (x + 10, y + 12))
    canvas.alpha_composite(turned, (x, y))
    rgb = np.asarray(canvas.convert("RGB").filter(ImageFilter.GaussianBlur(0.6)), dtype=np.float32)
    light = 0.9 + 0.12 * np.linspace(1, 0, w, dtype=np.float32)[None, :, None]
    return np.clip(rgb * light, 0, 255).astype(np.uint8)[:, :, ::-1].copy()   # RGB -> BGR


def _blank() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    page = Image.new("RGBA", PAGE, (250, 249, 245, 255))
    return page, ImageDraw.Draw(page)


def lease_contract() -> np.ndarray:
    page, d = _blank()
    d.text((PAGE[0] // 2, 90), "场地租赁合同", font=_font(52), fill=INK, anchor="mm")
    d.text((PAGE[0] - 80, 150), "合同编号：XW-2026-0318", font=_font(22), fill=INK, anchor="rm")
    body = _font(25)
    y = _paragraphs(d, 190, [
        "出租方（甲方）：南京玄武示例物业管理有限公司",
        "承租方（乙方）：南京长江路示例餐饮店",
        "根据《中华人民共和国民法典》及有关规定，甲乙双方经协商一致，就乙方租用甲方场地一事订立本合同。",
        "第一条 租赁场地：玄武区长江路1号一层沿街商铺及其外墙，建筑面积86平方米，外墙可设置面积6米×3米。",
        "第二条 租赁期限：自2026年1月1日起至2028年12月31日止，共三年。",
        "第三条 租金及支付：年租金人民币壹拾贰万元整（¥120,000元），按季度支付，每季度首月10日前付清。",
        "第四条 甲方同意乙方在上述外墙设置户外广告设施，乙方应依法办理审批手续，并对设施安全负责。",
        "第五条 乙方不得擅自改变场地用途，不得转租；需改造装修的，应事先征得甲方书面同意。",
        "第六条 合同期满，乙方如需续租，应提前三十日书面通知甲方，同等条件下乙方享有优先承租权。",
        "第七条 本合同一式两份，甲乙双方各执一份，自双方签字盖章之日起生效。",
    ], body)
    y += 30
    sig = _font(25)
    d.text((80, y), "甲方（盖章）：", font=sig, fill=INK)
    d.text((480, y), "乙方（签字）：", font=sig, fill=INK)
    d.text((80, y + 60), "日期：2025年12月20日", font=sig, fill=INK)
    d.text((480, y + 60), "日期：2025年12月20日", font=sig, fill=INK)
    d.line((640, y + 32, 820, y + 28), fill=(20, 40, 120), width=3)      # a pen stroke for the signature
    d.arc((650, y - 10, 720, y + 40), 200, 340, fill=(20, 40, 120), width=3)
    _seal(page, (230, y + 40), "南京玄武示例物业管理有限公司")
    d.text((PAGE[0] // 2, PAGE[1] - 50), "第 1 页 共 3 页", font=_font(20), fill=(90, 90, 90), anchor="mm")
    _sample_mark(page)
    return _on_counter(page)


def licence_copy() -> np.ndarray:
    page, d = _blank()
    d.rectangle((50, 50, PAGE[0] - 50, PAGE[1] - 50), outline=(150, 110, 40), width=6)
    d.text((PAGE[0] // 2, 150), "营 业 执 照", font=_font(64), fill=INK, anchor="mm")
    d.text((PAGE[0] // 2, 215), "（副  本）", font=_font(28), fill=INK, anchor="mm")
    body = _font(26)
    _paragraphs(d, 290, [
        "统一社会信用代码：91320102MA0079192H",
        "名        称：南京长江路示例餐饮店",
        "类        型：个体工商户",
        "经  营  者：王演示",
        "经 营 场 所：南京市玄武区长江路1号",
        "组 成 形 式：个人经营",
        "注 册 日 期：2019年05月06日",
        "经 营 范 围：餐饮服务；食品销售（仅销售预包装食品）。（依法须经批准的项目，经相关部门批准后方可开展经营活动）",
    ], body, x=110, width=680, gap=16)
    d.text((560, 1010), "登记机关", font=_font(26), fill=INK)
    d.text((520, 1060), "2026年01月05日", font=_font(24), fill=INK)
    _seal(page, (610, 1030), "南京市玄武区示例登记机关", radius=90)
    layer = Image.new("RGBA", page.size, (0, 0, 0, 0))
    ImageDraw.Draw(layer).text((120, 1160), "复印件与原件一致  仅供办理户外广告设施设置审批使用", font=_font(26),
                               fill=(20, 40, 120, 230))
    page.alpha_composite(layer)
    _sample_mark(page)
    gray = page.convert("L").convert("RGBA")       # a photocopy: no colour but the signature's ink
    return _on_counter(gray, angle=1.8)


def site_photo_sheet() -> np.ndarray:
    page, d = _blank()
    d.text((PAGE[0] // 2, 90), "设置位置现状照片及效果图", font=_font(44), fill=INK, anchor="mm")
    # a "photo" of the shop front: sky, wall, door, windows
    px, py, pw, ph = 90, 160, 720, 420
    d.rectangle((px, py, px + pw, py + ph // 3), fill=(170, 200, 230))
    d.rectangle((px, py + ph // 3, px + pw, py + ph), fill=(205, 190, 170))
    for i in range(4):
        d.rectangle((px + 40 + i * 170, py + ph // 3 + 90, px + 150 + i * 170, py + ph - 40), fill=(90, 110, 130))
    d.rectangle((px + 200, py + ph // 3 + 10, px + 520, py + ph // 3 + 70), outline=RED, width=5)
    d.text((px + 360, py + ph // 3 + 40), "拟设置位置", font=_font(26), fill=RED, anchor="mm")
    d.text((px, py + ph + 12), "图1 现状照片（2026年1月摄）", font=_font(22), fill=INK)
    # the effect drawing: the sign with its size
    ey = py + ph + 80
    d.rectangle((px + 120, ey, px + 600, ey + 200), fill=(180, 30, 40))
    d.text((px + 360, ey + 100), "长江路示例餐饮", font=_font(54), fill=(255, 240, 200), anchor="mm")
    d.line((px + 120, ey + 230, px + 600, ey + 230), fill=INK, width=2)
    d.text((px + 360, ey + 255), "6.0 m", font=_font(24), fill=INK, anchor="mm")
    d.text((px + 640, ey + 100), "3.0 m", font=_font(24), fill=INK, anchor="lm")
    _paragraphs(d, ey + 300, ["图2 效果图：墙面附着式，铝塑板面材，LED内透光照明，底边离地3.5米。"], _font(24), x=px)
    _sample_mark(page)
    return _on_counter(page, angle=-1.2)


DOCUMENTS = {"lease_contract": lease_contract, "licence_copy": licence_copy, "site_photo_sheet": site_photo_sheet}
_cache: dict[str, np.ndarray] = {}


def document(name: str) -> np.ndarray:
    """One of DOCUMENTS, drawn once per process (a page takes 0.5-2 s), a fresh copy each time."""
    if name not in _cache:
        _cache[name] = DOCUMENTS[name]()
    return _cache[name].copy()
