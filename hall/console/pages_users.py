"""Console accounts, for the hall manager: list, add (a generated initial password shown once,
or one the manager sets, strength-checked), disable / enable, reset a password, unlock an
account locked out by wrong passwords. Manager only; every change carries the session's CSRF
token and is audited (actor = the manager, target = the account; never a password)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from sqlalchemy import func, select

from hall import db
from hall.api_deps import DbSession
from hall.console import auth
from hall.console.auth import AccountError, ConsoleContext
from hall.console.common import Ctx, form_of, forbidden, render

router = APIRouter()
PAGE = "账户管理"
UserId = Annotated[int, Path(ge=1, le=2**62)]


def _rows(s) -> list[dict]:
    now = db.utcnow()
    out = []
    for u in s.scalars(select(db.User).order_by(db.User.disabled, db.User.role, db.User.username)):
        locked = u.locked_until is not None and db.as_utc(u.locked_until) > now
        state = "disabled" if u.disabled else "locked" if locked else "active"
        out.append({"id": u.id, "username": u.username, "name": u.display_name, "role": u.role,
                    "state": state, "state_text": {"active": "正常", "locked": "已锁定", "disabled": "已停用"}[state],
                    "locked_until": u.locked_until if locked else None, "failed": u.failed_logins,
                    "created_at": u.created_at})
    return out


def _page(request: Request, ctx: ConsoleContext, s, status_code: int = 200, **values):
    values.setdefault("form", {"role": "staff", "mode": "generate"})
    return render(request, "users.html", ctx, status_code=status_code, rows=_rows(s), page=PAGE,
                  min_password=auth.MIN_PASSWORD, **values)


@router.get("/console/users")
def users(request: Request, ctx: Ctx, s: DbSession):
    if not ctx.can():
        return forbidden(request, ctx, PAGE)
    return _page(request, ctx, s)


def _new_password(form: dict[str, str], username: str) -> tuple[str, bool]:
    """(password, generated). Raises AccountError (Chinese in .zh)."""
    if form.get("mode", "generate") == "generate":
        return auth.generate_password(), True
    password = form.get("password", "")
    if password != form.get("password2", ""):
        raise AccountError("passwords differ", "两次输入的密码不一致")
    auth.check_new_password(password, username)
    return password, False


@router.post("/console/users")
async def add_user(request: Request, ctx: Ctx, s: DbSession):
    form = await form_of(request)
    auth.check_csrf(request, ctx, form.get("csrf"))
    if not ctx.can():
        return forbidden(request, ctx, PAGE)
    username = form.get("username", "").strip().lower()
    keep = {"username": username, "name": form.get("name", "").strip(), "role": form.get("role", ""),
            "mode": form.get("mode", "generate")}
    try:
        if not auth.USERNAME_RE.fullmatch(username):
            raise AccountError("bad username", "用户名须为 2–32 位小写字母、数字或 _ . -，以字母或数字开头")
        password, generated = _new_password(form, username)
        auth.create_user(s, username, password, keep["role"], keep["name"], actor=ctx.username, client=ctx.client)
    except AccountError as e:
        s.rollback()
        return _page(request, ctx, s, status_code=422, error=e.zh, form=keep)
    return _page(request, ctx, s, done=f"已创建账户 {username}（{auth.ROLES[keep['role']]}）",
                 shown_password=password if generated else "", shown_for=username)


def _target(s, user_id: int) -> db.User:
    u = s.get(db.User, user_id)
    if u is None:
        raise HTTPException(404, "没有这个账户")
    return u


def _other_active_managers(s, u: db.User) -> int:
    return s.scalar(select(func.count()).select_from(db.User).where(
        db.User.role == "manager", db.User.disabled.is_(False), db.User.id != u.id)) or 0


@router.post("/console/users/{user_id}/{action}")
async def user_action(request: Request, user_id: UserId,
                      action: Annotated[str, Path(pattern="^(disable|enable|reset|unlock)$")], ctx: Ctx, s: DbSession):
    form = await form_of(request)
    auth.check_csrf(request, ctx, form.get("csrf"))
    if not ctx.can():
        return forbidden(request, ctx, PAGE)
    u = _target(s, user_id)
    shown = ""
    if action == "disable":
        if u.id == ctx.user.id:
            return _page(request, ctx, s, status_code=409, error="不能停用自己正在使用的账户")
        if u.role == "manager" and not _other_active_managers(s, u):
            return _page(request, ctx, s, status_code=409, error="这是最后一个可用的大厅负责人账户，不能停用")
        u.disabled = True
        auth.end_sessions(s, u)                       # logged out at once, not at the next idle timeout
        done = f"已停用账户 {u.username}，其登录已全部退出"
    elif action == "enable":
        u.disabled, u.failed_logins, u.locked_until = False, 0, None
        done = f"已启用账户 {u.username}"
    elif action == "unlock":
        u.failed_logins, u.locked_until = 0, None
        done = f"已解除账户 {u.username} 的锁定"
    else:
        try:
            password, generated = _new_password(form, u.username)
            own = u.id == ctx.user.id       # a reset by someone else must be changed at the next login
            auth.set_password(s, u, password, keep_session=ctx.session.token_sha256 if own else "",
                              must_change=not own)
        except AccountError as e:
            s.rollback()
            return _page(request, ctx, s, status_code=422, error=f"{u.username}：{e.zh}")
        shown = password if generated else ""
        done = f"已重置账户 {u.username} 的密码" + ("" if u.id == ctx.user.id else "，其登录已全部退出")
    db.audit(s, ctx.username, f"user_{action}", target=u.username, detail=f"role={u.role}", client=ctx.client)
    s.commit()
    return _page(request, ctx, s, done=done, shown_password=shown, shown_for=u.username)
