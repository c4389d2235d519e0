from pathlib import Path

from hall.catalog_store import load_catalog
from kiosk.domain.guide import guide_sections

ROOT = Path(__file__).resolve().parents[2]
ELEMENTS = ["基本信息", "设定依据", "申请条件", "申请材料", "办理流程", "办理时限", "收费标准",
            "办理地点和时间", "咨询与监督", "常见问题"]


def test_every_shipped_matter_shows_every_guide_element():
    for m in load_catalog(ROOT / "config" / "catalog").catalog.matters:
        sections = dict(guide_sections(m))
        assert list(sections) == ELEMENTS, m.code
        assert all(lines and all(line.strip() for line in lines) for lines in sections.values()), m.code
        text = "\n".join("\n".join(v) for v in sections.values())
        assert m.fee in text and m.consult_phone in text and f"第{m.version}版" in text
        assert len(sections["申请材料"]) == len(m.materials)
        assert len(sections["办理流程"]) == len(m.steps)
