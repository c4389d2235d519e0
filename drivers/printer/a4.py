"""The full credit report as an A4 PDF (reportlab), and sending it to CUPS with `lp`.

Every page carries the report number, the verify code and the verify QR, so a single page
taken away from the others can still be checked at /verify/{report_no}. Sections are tables
whose header row repeats on each page; 已修复 records stay visible but are marked and greyed,
as repaired records are shown in public credit reports.

The font is the shipped WenQuanYi Micro Hei (face 0, the proportional one), embedded as a
subset, so the PDF prints the same on any CUPS server and its text can be extracted.
"""
from __future__ import annotations

import logging
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import CondPageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from xml.sax.saxutils import escape

from drivers.printer.glyphs import FONT_PATH
from kiosk.domain.credit_report import CreditReport, CreditSection

log = logging.getLogger(__name__)

FONT = "WQYMicroHei"
MARGIN = 18 * mm
QR_SIZE = 24 * mm
# A heading needs room for itself and a few rows below it, or it starts the next page. (Not
# keepWithNext: that would push a whole long table to the next page, leaving half a page empty.)
HEADING_ROOM = 40 * mm
FOOTER_HEIGHT = QR_SIZE + 6 * mm
GREY = colors.HexColor("#777777")
RULE = colors.HexColor("#999999")
NUMERALS = "一二三四五六七八九十"


def _register_font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_PATH), subfontIndex=0))


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=10, leading=14, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=20, leading=28, alignment=1),
        "subtitle": ParagraphStyle("subtitle", parent=base, alignment=1, textColor=GREY),
        "h2": ParagraphStyle("h2", parent=base, fontSize=13, leading=20, spaceBefore=10, spaceAfter=4),
        "body": base,
        "cell": ParagraphStyle("cell", parent=base, fontSize=9, leading=12),
        "head": ParagraphStyle("head", parent=base, fontSize=9, leading=12),
        "repaired": ParagraphStyle("repaired", parent=base, fontSize=9, leading=12, textColor=GREY),
        "note": ParagraphStyle("note", parent=base, fontSize=9, leading=13, textColor=GREY),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _grid(data: list[list], widths: list[float], header: bool = True) -> Table:
    table = Table(data, colWidths=widths, repeatRows=1 if header else 0)
    style = [("GRID", (0, 0), (-1, -1), 0.5, RULE), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
             ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8E8E8")))
    table.setStyle(TableStyle(style))
    return table


def _section_table(section: CreditSection, width: float, st: dict) -> Table:
    columns = section.columns + ["状态"]
    data = [[_p(c, st["head"]) for c in columns]]
    for row in section.rows:
        style = st["repaired"] if row.repaired else st["cell"]
        data.append([_p(c, style) for c in row.cells] + [_p("已修复" if row.repaired else "有效", style)])
    status_w = 14 * mm
    each = (width - status_w) / max(1, len(section.columns))
    return _grid(data, [each] * len(section.columns) + [status_w])


def _story(report: CreditReport, width: float) -> list:
    st = _styles()
    subject = report.subject
    story = [_p("公共信用信息报告", st["title"]),
             _p("（企业版）" if subject.kind == "enterprise" else "（个人版）", st["subtitle"]),
             Spacer(1, 6 * mm)]
    info = [("信用主体", subject.printed_name), (subject.code_label, subject.printed_code),
            ("报告编号", report.report_no), ("生成时间", report.generated_at.strftime("%Y年%m月%d日 %H:%M")),
            ("出具单位", report.issuer)]
    if report.purpose:
        info.append(("查询用途", report.purpose))
    story.append(_grid([[_p(k, st["head"]), _p(v, st["cell"])] for k, v in info],
                       [35 * mm, width - 35 * mm], header=False))
    story += [CondPageBreak(HEADING_ROOM), _p("信息概览", st["h2"])]
    overview = [[_p(h, st["head"]) for h in ("信息类别", "记录条数", "其中已修复")]]
    for section in report.sections:
        overview.append([_p(section.title, st["cell"]), _p(f"{section.total} 条", st["cell"]),
                         _p(f"{section.repaired} 条", st["cell"])])
    story.append(_grid(overview, [width - 60 * mm, 30 * mm, 30 * mm]))
    for i, section in enumerate(report.sections):
        number = NUMERALS[i] if i < len(NUMERALS) else str(i + 1)
        story += [CondPageBreak(HEADING_ROOM), _p(f"{number}、{section.title}（{section.total} 条）", st["h2"])]
        if section.rows:
            story.append(_section_table(section, width, st))
            if section.total > len(section.rows):
                story.append(_p(f"另有 {section.total - len(section.rows)} 条记录未列出，请到窗口查询。", st["note"]))
        else:
            story.append(_p(section.note or "未查询到相关记录。", st["body"]))
    if report.notes:
        story += [CondPageBreak(HEADING_ROOM), _p("说明", st["h2"])]
        story += [_p(f"{i}. {note}", st["note"]) for i, note in enumerate(report.notes, 1)]
    return story


def _numbered_canvas(report: CreditReport):
    """A canvas that draws the running header and footer once the page count is known."""

    class ReportCanvas(canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for number, page in enumerate(self._pages, 1):
                self.__dict__.update(page)
                self._decorate(number, total)
                super().showPage()
            super().save()

        def _decorate(self, number: int, total: int) -> None:
            width, height = A4
            self.setFont(FONT, 9)
            self.setFillColor(GREY)
            self.drawString(MARGIN, height - 12 * mm, report.issuer)
            self.drawRightString(width - MARGIN, height - 12 * mm, f"报告编号：{report.report_no}")
            self.setStrokeColor(RULE)
            self.line(MARGIN, height - 14 * mm, width - MARGIN, height - 14 * mm)
            self.line(MARGIN, FOOTER_HEIGHT + 4 * mm, width - MARGIN, FOOTER_HEIGHT + 4 * mm)
            qr = QrCodeWidget(report.verify_url, barLevel="M")
            x0, y0, x1, y1 = qr.getBounds()
            drawing = Drawing(QR_SIZE, QR_SIZE, transform=[QR_SIZE / (x1 - x0), 0, 0, QR_SIZE / (y1 - y0), 0, 0])
            drawing.add(qr)
            renderPDF.draw(drawing, self, width - MARGIN - QR_SIZE, 8 * mm)
            self.setFillColor(colors.black)
            lines = [f"报告编号：{report.report_no}    核验码：{report.verify_code}",
                     f"扫描右侧二维码或访问 {report.verify_url} 核验本报告真伪",
                     f"第 {number} 页 / 共 {total} 页"]
            for i, text in enumerate(lines):
                self.drawString(MARGIN, 8 * mm + QR_SIZE - 4 * mm - i * 5 * mm, text)

    return ReportCanvas


def credit_report_pdf(report: CreditReport, path: str | Path) -> Path:
    """Write the report to `path` (A4, portrait); returns the path."""
    _register_font()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=20 * mm, bottomMargin=FOOTER_HEIGHT + 8 * mm,
                            title=f"公共信用信息报告 {report.report_no}", author=report.issuer,
                            subject=report.report_no)
    doc.build(_story(report, A4[0] - 2 * MARGIN), canvasmaker=_numbered_canvas(report))
    return path


@dataclass(frozen=True)
class A4Result:
    pdf: Path
    sent: bool                 # handed to CUPS
    job: str = ""              # CUPS request id, e.g. "hall-a4-17"
    message: str = ""          # plain Chinese for the user / technician


def send_to_cups(pdf: Path, queue: str, title: str, lp: str = "lp", timeout: float = 30.0) -> A4Result:
    """`lp -d QUEUE` the PDF. A failure keeps the file and says so; it never raises."""
    exe = shutil.which(lp)
    if exe is None:
        return A4Result(pdf, False, message="未安装 CUPS 客户端（lp），报告已保存为文件")
    cmd = [exe, "-d", queue, "-t", title, "-o", "media=A4", "--", str(pdf)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return A4Result(pdf, False, message=f"A4 打印机队列 {queue} 无响应，报告已保存为文件")
    if proc.returncode != 0:
        log.warning("lp to %s failed (%d): %s", queue, proc.returncode, proc.stderr.strip()[:200])
        return A4Result(pdf, False, message=f"A4 打印机 {queue} 不可用，报告已保存为文件")
    match = re.search(r"request id is (\S+)", proc.stdout)
    return A4Result(pdf, True, job=match.group(1) if match else "", message="报告已送往 A4 打印机")


def print_credit_report(report: CreditReport, out_dir: str | Path, queue: str = "") -> A4Result:
    """Render the PDF into out_dir; send it to `queue` when an A4 printer is configured."""
    pdf = credit_report_pdf(report, Path(out_dir) / f"credit-report-{_safe(report.report_no)}.pdf")
    if not queue:
        return A4Result(pdf, False, message="未配置 A4 打印机，报告已保存为文件")
    return send_to_cups(pdf, queue, title=f"信用报告 {report.report_no}")


class A4ReportPrinter:
    """The kiosk's A4 port: the full credit report as a PDF, to CUPS when a queue is set.

    The PDF holds the person's records (name and number masked): once CUPS has accepted the job
    (it spools its own copy) ours is deleted. One that could not be sent stays for staff to print
    at the window, for KEEP_UNSENT_S, then goes too — keep only what is needed (个人信息保护法)."""

    KEEP_UNSENT_S = 24 * 3600

    def __init__(self, out_dir: str | Path, queue: str = ""):
        self._out_dir, self._queue = Path(out_dir), queue

    def print_report(self, report: CreditReport) -> A4Result:
        self.prune_unsent()
        try:
            result = print_credit_report(report, self._out_dir, self._queue)
        except OSError as e:       # a full disk or an unwritable folder: say so, never crash
            return A4Result(self._out_dir, False, message=f"报告文件无法保存（{e.strerror}），请联系工作人员")
        if result.sent:
            _remove(result.pdf)
        return result

    def prune_unsent(self, now: float | None = None) -> int:
        """Delete reports left unsent for longer than KEEP_UNSENT_S; returns how many."""
        cutoff = (time.time() if now is None else now) - self.KEEP_UNSENT_S
        removed = 0
        for pdf in self._out_dir.glob("credit-report-*.pdf"):
            try:
                if pdf.stat().st_mtime < cutoff:
                    pdf.unlink()
                    removed += 1
            except OSError as e:   # gone meanwhile, or unreadable: the next print tries again
                log.warning("could not remove an old report file: %s", e.strerror)
        return removed


def _remove(pdf: Path) -> None:
    try:
        pdf.unlink()
    except OSError as e:
        log.warning("could not remove a printed report file: %s", e.strerror)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)
