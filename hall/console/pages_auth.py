"""/console/login and /console/logout.

The login form is protected against login CSRF by a double-submit token (a cookie set with
the form and the same value in a hidden field): no session exists yet to hold one.
"""
from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from hall import db
from hall.api_deps import DbSession
from hall.console import auth
from hall.console.common import Ctx, back_to, form_of, render

router = APIRouter()


def _safe_next(value: str) -> str:
    # Only our own pages: "next" must not turn the login into an open redirect.
    return value if value.startswith("/console/") and "//" not in value and "\\" not in value else "/console/"


def _login_page(request: Request, message: str = "", status_code: int = 200, username: str = ""):
    token = secrets.token_urlsafe(24)
    resp = render(request, "login.html", None, status_code=status_code, message=message, login_csrf=token,
                  next=_safe_next(request.query_params.get("next", "")), username=username)
    resp.set_cookie(auth.LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/console/login",
                    secure=request.app.state.settings.console_secure_cookie, max_age=3600)
    return resp


@router.get("/console/login")
def login_form(request: Request):
    return _login_page(request)


@router.post("/console/login")
async def login_submit(request: Request, s: DbSession):
    auth.check_origin(request)
    form = await form_of(request)
    cookie, field = request.cookies.get(auth.LOGIN_CSRF_COOKIE, ""), form.get("login_csrf", "")
    if not cookie or not hmac.compare_digest(cookie.encode(), field.encode("utf-8")):
        return _login_page(request, "页面已过期，请重新登录", 403)
    username = form.get("username", "").strip().lower()
    result = auth.login(s, request.app.state.settings, username, form.get("password", ""), auth.client_of(request))
    if result.user is None:
        return _login_page(request, result.message, 401, username=username[:64])
    token, _csrf = auth.new_session(s, result.user)
    resp = RedirectResponse(_safe_next(form.get("next", "")), status_code=303)
    resp.set_cookie(auth.COOKIE, token, httponly=True, samesite="strict", path="/console",
                    secure=request.app.state.settings.console_secure_cookie)
    resp.delete_cookie(auth.LOGIN_CSRF_COOKIE, path="/console/login")
    return resp


@router.post("/console/logout")
async def logout(request: Request, ctx: Ctx, s: DbSession):
    form = await form_of(request)
    auth.check_csrf(request, ctx, form.get("csrf"))
    sess = s.get(db.ConsoleSession, ctx.session.token_sha256)
    if sess is not None:
        s.delete(sess)
    db.audit(s, ctx.username, "logout", client=ctx.client)
    s.commit()
    resp = back_to("/console/login")
    resp.delete_cookie(auth.COOKIE, path="/console")
    return resp
