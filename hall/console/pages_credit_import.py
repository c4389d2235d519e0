"""Credit data import through the console, for the hall manager: upload a 双公示 CSV or JSON file
(the parser and checks of `hall credit import`, hall/credit_import.py) and see what happened —
rows imported per category, and every rejected row with its line in the file and the reason.

By default a file with any bad row imports nothing (as the CLI does: a half-imported export is
worse than none); the manager may tick "skip the bad rows" to import the rest. Manager only,
CSRF-checked, audited (file name and counts; never row contents), at most 4 MiB.
"""
from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

from fastapi import APIRouter, HTTPException, Request
from starlette.datastructures import UploadFile

from hall import db
from hall.api_deps import DbSession
from hall.console import auth
from hall.console.common import MAX_FORM_FIELD, Ctx, forbidden, render
from hall.credit_import import CATEGORIES, ImportError_, Problem, import_bytes

router = APIRouter()
PAGE = "信用数据导入"
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
MAX_PROBLEMS_SHOWN = 200

CATEGORY_TEXT = {"subjects": "主体信息", "licences": "行政许可", "penalties": "行政处罚", "dishonest": "严重失信主体名单",
                 "abnormal": "经营异常名录"}
FIELD_TEXT = {"code": "主体代码", "kind": "主体类型", "name": "名称", "legal_rep_name": "法定代表人",
              "legal_rep_id_number": "法定代表人证件号码", "address": "住所", "registered_on": "成立日期",
              "licence_token": "电子营业执照令牌", "record_no": "文书号/编号", "subject_code": "行政相对人代码",
              "type": "类别", "content": "内容", "authority": "机关", "decided_on": "决定日期", "valid_from": "有效期自",
              "valid_to": "有效期至", "reason": "原因/违法行为", "basis": "处罚依据", "status": "状态",
              "repaired": "已修复", "list_name": "名单名称", "removed_on": "移出日期", "removal_reason": "移出原因",
              "(row)": "整行"}
_TYPE_TEXT = {
    "missing": "缺少此项", "string_too_short": "不能为空", "string_too_long": "内容过长",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD", "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_type": "日期格式应为 YYYY-MM-DD", "date_from_datetime_inexact": "日期格式应为 YYYY-MM-DD",
    "literal_error": "取值不在允许范围内", "extra_forbidden": "本类别没有这一列", "bool_parsing": "应为“是”或“否”",
    "bool_type": "应为“是”或“否”", "string_type": "应为文字",
}
_MESSAGE_TEXT = {
    "not a valid 统一社会信用代码 or ID number": "不是有效的统一社会信用代码或身份证号（校验位不符）",
    "an enterprise needs a 统一社会信用代码": "企业须使用统一社会信用代码",
    "fails its check digit": "证件号码校验位不符",
    "expected an object": "应为一个对象（{…}）",
}


def reason_text(p: Problem) -> str:
    for key, text in _MESSAGE_TEXT.items():
        if key in p.message:
            return text
    return _TYPE_TEXT.get(p.error_type, "")


def file_error_text(message: str) -> str:
    if "not UTF-8" in message:
        return "文件不是 UTF-8 编码：GBK 导出的文件请先另存为 UTF-8 再上传"
    if "not valid JSON" in message:
        return "文件不是有效的 JSON"
    if "not valid CSV" in message:
        return "文件不是有效的 CSV"
    if "expected a .json or .csv" in message:
        return "只接受 .csv 或 .json 文件"
    if "cannot tell the category" in message:
        return "无法从文件名判断数据类别，请在“数据类别”中选择"
    if "expected an object with lists" in message:
        return "JSON 的结构不对：应为 {\"subjects\": […], \"penalties\": […], …}"
    if "empty CSV" in message:
        return "CSV 文件是空的"
    if "more cells than header" in message:
        return "某行的单元格比表头多"
    return "文件无法读取"


def _page(request: Request, ctx, status_code: int = 200, **values):
    return render(request, "credit_import.html", ctx, status_code=status_code, categories=CATEGORY_TEXT,
                  max_mb=MAX_UPLOAD_BYTES // (1024 * 1024), max_bytes=MAX_UPLOAD_BYTES, **values)


@router.get("/console/credit-import")
def form_page(request: Request, ctx: Ctx):
    if not ctx.can():
        return forbidden(request, ctx, PAGE)
    return _page(request, ctx)


def _safe_name(name: str | None) -> str:
    base = PureWindowsPath(PurePosixPath(name or "").name).name       # a browser may send a full path
    return "".join(c for c in base if c.isprintable())[:120] or "upload"


@router.post("/console/credit-import", max_body_size=MAX_UPLOAD_BYTES + 64 * 1024)
async def upload(request: Request, ctx: Ctx, s: DbSession):
    if not ctx.can():
        return forbidden(request, ctx, PAGE)
    form = await request.form(max_files=1, max_fields=8, max_part_size=MAX_FORM_FIELD)
    try:
        auth.check_csrf(request, ctx, form.get("csrf") if isinstance(form.get("csrf"), str) else None)
        upload_ = form.get("file")
        kind = form.get("kind") or ""
        skip = form.get("skip_bad_rows") == "1"
        if not isinstance(upload_, UploadFile) or not upload_.filename:
            return _page(request, ctx, 400, file_error="请选择要上传的 CSV 或 JSON 文件")
        if not isinstance(kind, str) or (kind and kind not in CATEGORIES):
            raise HTTPException(400, "数据类别不对")
        raw = await upload_.read(MAX_UPLOAD_BYTES + 1)
        name = _safe_name(upload_.filename)
    finally:
        await form.close()
    if len(raw) > MAX_UPLOAD_BYTES:
        return _page(request, ctx, 413, file_error=f"文件超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB，请分成几个文件上传",
                     filename=name)
    try:
        result = import_bytes(s, raw, name, kind or None, actor=ctx.username, client=ctx.client, skip_bad_rows=skip)
    except ImportError_ as e:
        s.rollback()
        message = str(e)
        db.audit(s, ctx.username, "credit_import_refused", target=name, detail=message[:500], client=ctx.client)
        s.commit()
        return _page(request, ctx, 422, file_error=file_error_text(message), file_error_detail=message, filename=name)
    problems = [{"line": p.line, "category": CATEGORY_TEXT.get(p.category, p.category), "row": p.row,
                 "column": p.column if p.column != p.field else FIELD_TEXT.get(p.field, p.field),
                 "reason": reason_text(p), "detail": p.message} for p in result.problems[:MAX_PROBLEMS_SHOWN]]
    status = 200 if result.counts or not result.problems else 422
    return _page(request, ctx, status, result=result, problems=problems, more=len(result.problems) - len(problems),
                 filename=name, skipped=skip)
