"""/console/login, /console/logout and /console/password (change one's own password; forced
after a new account or a reset, see auth.BEFORE_CHANGE).

The login form is protected against login CSRF by a double-submit token (a cookie set with
the form and the same value in a hidden field): no session exists yet to hold one.
"""
from __future__ import annotations

import hmac
import secrets
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from hall import db
from hall.api_deps import DbSession
from hall.console import auth
from hall.console.auth import AccountError
from hall.console.common import Ctx, back_to, form_of, render

router = APIRouter()


def _safe_next(value: str) -> str:
    # Only our own pages: "next" must not turn the login into an open redirect.
    return value if value.startswith("/console/") and "//" not in value and "\\" not in value else "/console/"


_EXPIRED = {"idle": "长时间未操作，登录已超时，请重新登录",
            "lifetime": "登录已到最长时限，请重新登录"}


def _login_page(request: Request, message: str = "", status_code: int = 200, username: str = ""):
    token = secrets.token_urlsafe(24)
    notice = "" if message else _EXPIRED.get(request.query_params.get("expired", ""), "")
    resp = render(request, "login.html", None, status_code=status_code, message=message, notice=notice,
                  login_csrf=token,
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
    target = _safe_next(form.get("next", ""))
    if result.user.must_change_password:
        target = "/console/password?next=" + quote(target)
    resp = RedirectResponse(target, status_code=303)
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


def _password_page(request: Request, ctx, next_: str, status_code: int = 200, error: str = ""):
    return render(request, "password.html", ctx, status_code=status_code, error=error,
                  forced=ctx.user.must_change_password, min_password=auth.MIN_PASSWORD, next=_safe_next(next_))


@router.get("/console/password")
def password_form(request: Request, ctx: Ctx):
    return _password_page(request, ctx, request.query_params.get("next", ""))


@router.post("/console/password")
async def password_submit(request: Request, ctx: Ctx, s: DbSession):
    form = await form_of(request)
    auth.check_csrf(request, ctx, form.get("csrf"))
    try:
        auth.change_own_password(s, ctx, form.get("current", ""), form.get("password", ""), form.get("password2", ""))
    except AccountError as e:
        s.rollback()
        return _password_page(request, ctx, form.get("next", ""), 422, e.zh)
    return back_to(_safe_next(form.get("next", "")))
