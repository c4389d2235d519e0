"""What every console page shares: the logged-in context, rendering, form reading."""
from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from hall.api_deps import DbSession, china_time
from hall.console import auth
from hall.console.auth import ConsoleContext, LoginRequired

MAX_FORM_FIELD = 2000


def console_ctx(request: Request, s: DbSession) -> ConsoleContext:
    api = request.url.path.startswith("/console/api/")
    try:
        ctx = auth.current(request, s)
    except LoginRequired as e:
        if api:
            raise HTTPException(401, "login required",
                                headers={"X-Session-Expired": e.expired} if e.expired else None) from None
        expired = f"&expired={e.expired}" if e.expired else ""   # the login page says why
        raise HTTPException(303, "login required",
                            headers={"Location": "/console/login?next=" + quote(request.url.path) + expired}) from None
    if ctx.user.must_change_password and request.url.path not in auth.BEFORE_CHANGE:
        # A password someone else chose or saw: nothing but changing it (or logging out) until then.
        if api:
            raise HTTPException(403, "password change required")
        raise HTTPException(303, "password change required",
                            headers={"Location": "/console/password?next=" + quote(request.url.path)})
    return ctx


Ctx = Annotated[ConsoleContext, Depends(console_ctx)]


def fmt_time(t) -> str:
    """China time for people: 2026-11-28 13:05:01 ("—" for none)."""
    return "—" if t is None else china_time(t)[:19].replace("T", " ")


def render(request: Request, name: str, ctx: ConsoleContext | None = None, status_code: int = 200, **values) -> HTMLResponse:
    template = request.app.state.templates.get_template(name)
    html = template.render(ctx=ctx, hall_name=request.app.state.settings.hall_name, roles=auth.ROLES,
                           csrf=ctx.session.csrf_token if ctx else "", fmt=fmt_time, path=request.url.path,
                           **values)
    return HTMLResponse(html, status_code=status_code)


async def form_of(request: Request) -> dict[str, str]:
    """The posted form as plain strings (files and over-long values refused with a 400)."""
    # Starlette answers a malformed multipart body, or one over these limits, with a 400 itself.
    form = await request.form(max_files=0, max_fields=20)
    out = {}
    for k, v in form.items():
        if not isinstance(v, str) or len(v) > MAX_FORM_FIELD:
            raise HTTPException(400, f"表单字段 {k[:32]} 过长或不是文本")
        out[k] = v
    return out


def back_to(url: str) -> RedirectResponse:
    # 303: the browser follows with a GET, so a reload does not post the form again.
    return RedirectResponse(url, status_code=303)


def forbidden(request: Request, ctx: ConsoleContext, what: str) -> HTMLResponse:
    """A 403 page in words (not a JSON body): which page, and who can open it."""
    return render(request, "message.html", ctx, status_code=403, title="无权访问",
                  message=f"您的角色（{auth.ROLES.get(ctx.user.role, ctx.user.role)}）不能打开“{what}”。"
                          "此页面仅限大厅负责人使用；如需调整权限，请联系大厅负责人。")
