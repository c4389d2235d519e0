"""Console accounts and sessions: argon2 passwords, server-side sessions behind an HttpOnly
cookie, a CSRF token per session, lock-out after repeated failures, every step audited.
Sessions end after `console_idle_minutes` without a request and, however busy, after
`console_session_max_hours` (hall.toml). A password someone else chose or saw (a new account, a
reset by the manager) must be changed before the console lets the user do anything else.

Roles: manager (everything), staff (applications, 好差评 follow-up), technician (terminals and
their commands). The dashboard is visible to all three.
"""
from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import HTTPException, Request
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hall import db
from hall.config import HallSettings

ROLES = {"manager": "大厅负责人", "staff": "窗口工作人员", "technician": "运维人员"}
COOKIE = "hall_console"
LOGIN_CSRF_COOKIE = "hall_login_csrf"
# The only pages a user whose password must be changed may open.
BEFORE_CHANGE = frozenset({"/console/password", "/console/logout"})
USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9_.-]{1,31}", re.ASCII)
MIN_PASSWORD = 10

# OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane): ~30 ms on the hall's 2-core machine.
# argon2-cffi's default (64 MiB, 3 passes, 4 lanes) took ~0.4 s of all cores per login there;
# online guessing is stopped by the lock-out, so the cost only matters for a stolen database.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the username is unknown, so "no such user" takes as long as "wrong
# password" and response times do not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """str(e) is English (the CLI); `zh` is what the console shows."""

    def __init__(self, message: str, zh: str = ""):
        super().__init__(message)
        self.zh = zh or message


# A generated password: 4 groups of 4 from letters and digits without look-alikes (0/O, 1/l/I).
_GEN_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def generate_password() -> str:
    while True:
        pw = "-".join("".join(secrets.choice(_GEN_ALPHABET) for _ in range(4)) for _ in range(4))
        if re.search(r"[A-Za-z]", pw) and re.search(r"\d", pw):
            return pw


def check_new_password(password: str, username: str = "") -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password too short: at least {MIN_PASSWORD} characters",
                           f"密码太短：至少 {MIN_PASSWORD} 个字符")
    if len(password) > 128:
        raise AccountError("password too long: at most 128 characters", "密码太长：最多 128 个字符")
    if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
        raise AccountError("password needs letters and digits", "密码须同时包含字母和数字")
    if username and username.lower() in password.lower():
        raise AccountError("password must not contain the username", "密码不能包含用户名")
    if len(set(password.lower())) < 5:
        raise AccountError("password has too few different characters", "密码中不同的字符太少，容易被猜中")


def create_user(s: Session, username: str, password: str, role: str, display_name: str = "",
                actor: str = "cli", client: str = "", must_change_password: bool = True) -> db.User:
    """A new account. It must change its password at the first login unless
    `must_change_password` is False (the demo's and the tests' fixture accounts)."""
    if not USERNAME_RE.fullmatch(username):
        raise AccountError("username: 2-32 characters of a-z 0-9 _ . - (lower case), starting with a letter or digit",
                           "用户名须为 2–32 位小写字母、数字或 _ . -，以字母或数字开头")
    if role not in ROLES:
        raise AccountError(f"role must be one of {sorted(ROLES)}", "请选择角色")
    check_new_password(password, username)
    if s.scalar(select(db.User).where(db.User.username == username)) is not None:
        raise AccountError(f"user {username!r} already exists", f"用户名 {username} 已存在")
    u = db.User(username=username, display_name=display_name[:64], role=role, password_hash=_hasher.hash(password),
                must_change_password=must_change_password)
    s.add(u)
    db.audit(s, actor, "user_add", target=username, detail=f"role={role}", client=client)
    s.commit()
    return u


def set_password(s: Session, user: db.User, password: str, keep_session: str = "",
                 must_change: bool = True) -> None:
    """A new password (checked), the lock-out cleared and every session of the user ended but
    `keep_session` (a token hash: the user's own). `must_change`: the user has to replace it at
    the next login (a reset by someone else). Caller commits."""
    check_new_password(password, user.username)
    user.password_hash = _hasher.hash(password)
    user.failed_logins, user.locked_until = 0, None
    user.must_change_password = must_change
    end_sessions(s, user, keep=keep_session)


def change_own_password(s: Session, ctx: "ConsoleContext", current_password: str, new: str, again: str) -> None:
    """The user replaces their own password (forced after a reset, or of their own accord).
    Raises AccountError (Chinese in .zh); commits on success. Other sessions are ended."""
    if not _verify(ctx.user.password_hash, current_password):
        db.audit(s, ctx.username, "password_change_failed", detail="wrong current password", client=ctx.client)
        s.commit()
        raise AccountError("wrong current password", "当前密码不正确")
    if new != again:
        raise AccountError("passwords differ", "两次输入的新密码不一致")
    if hmac.compare_digest(new.encode("utf-8"), current_password.encode("utf-8")):
        raise AccountError("the new password equals the old one", "新密码不能与当前密码相同")
    set_password(s, ctx.user, new, keep_session=ctx.session.token_sha256, must_change=False)
    db.audit(s, ctx.username, "password_changed", client=ctx.client)
    s.commit()


def end_sessions(s: Session, user: db.User, keep: str = "") -> None:
    """Log the user out everywhere (but the session `keep`, a token hash)."""
    q = delete(db.ConsoleSession).where(db.ConsoleSession.user_id == user.id)
    if keep:
        q = q.where(db.ConsoleSession.token_sha256 != keep)
    s.execute(q)


@dataclass(frozen=True)
class LoginResult:
    user: db.User | None
    message: str                     # shown on the login page when user is None


def login(s: Session, settings: HallSettings, username: str, password: str, client: str) -> LoginResult:
    now = db.utcnow()
    user = s.scalar(select(db.User).where(db.User.username == username[:64]))
    if user is None or user.disabled:
        _verify(_DUMMY_HASH, password)
        db.audit(s, username[:64] or "(blank)", "login_failed", detail="unknown or disabled account", client=client)
        s.commit()
        return LoginResult(None, "用户名或密码错误")
    if user.locked_until is not None and db.as_utc(user.locked_until) > now:
        minutes = max(1, int((db.as_utc(user.locked_until) - now).total_seconds() // 60) + 1)
        db.audit(s, user.username, "login_refused_locked", client=client)
        s.commit()
        return LoginResult(None, f"该账户因多次密码错误已锁定，请 {minutes} 分钟后再试或联系大厅负责人")
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        detail = f"failure {user.failed_logins} of {settings.login_max_failures}"
        if user.failed_logins >= settings.login_max_failures:
            user.locked_until = now + dt.timedelta(minutes=settings.login_lockout_minutes)
            user.failed_logins = 0
            db.audit(s, user.username, "account_locked", detail=f"for {settings.login_lockout_minutes} min", client=client)
        db.audit(s, user.username, "login_failed", detail=detail, client=client)
        s.commit()
        return LoginResult(None, "用户名或密码错误")
    user.failed_logins, user.locked_until = 0, None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)      # parameters were raised since it was set
    db.audit(s, user.username, "login", client=client)
    s.commit()
    return LoginResult(user, "")


def _verify(hash_: str, password: str) -> bool:
    try:
        return _hasher.verify(hash_, password)
    except (VerificationError, InvalidHashError):
        return False


def new_session(s: Session, user: db.User) -> tuple[str, str]:
    """(cookie value, csrf token). Older sessions of the user beyond the newest 5 are dropped."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    s.add(db.ConsoleSession(token_sha256=db.hash_token(token), user_id=user.id, csrf_token=csrf))
    old = list(s.scalars(select(db.ConsoleSession.token_sha256).where(db.ConsoleSession.user_id == user.id)
                         .order_by(db.ConsoleSession.created_at.desc()).offset(5)))
    if old:
        s.execute(delete(db.ConsoleSession).where(db.ConsoleSession.token_sha256.in_(old)))
    s.commit()
    return token, csrf


@dataclass
class ConsoleContext:
    user: db.User
    session: db.ConsoleSession
    client: str

    @property
    def username(self) -> str:
        return self.user.username

    def can(self, *roles: str) -> bool:
        return self.user.role == "manager" or self.user.role in roles


class LoginRequired(Exception):
    """Raised by `current` when there is no valid session; answered with a redirect (pages) or 401 (JSON).
    `expired`: "idle" or "lifetime" when a session existed but has run out (the login page says so)."""

    def __init__(self, expired: str = ""):
        super().__init__(expired or "no session")
        self.expired = expired


def current(request: Request, s: Session) -> ConsoleContext:
    token = request.cookies.get(COOKIE, "")
    if not token or len(token) > 128:
        raise LoginRequired()
    sess = s.get(db.ConsoleSession, db.hash_token(token))
    if sess is None:
        raise LoginRequired()
    settings: HallSettings = request.app.state.settings
    now = db.utcnow()
    user = s.get(db.User, sess.user_id)
    expired = ("lifetime" if now - db.as_utc(sess.created_at) > dt.timedelta(hours=settings.console_session_max_hours)
               else "idle" if now - db.as_utc(sess.last_seen_at) > dt.timedelta(minutes=settings.console_idle_minutes)
               else "")
    if user is None or user.disabled or expired:
        s.delete(sess)
        if user is not None and expired:
            db.audit(s, user.username, "session_expired", detail=expired, client=client_of(request))
        s.commit()
        raise LoginRequired(expired)
    if now - db.as_utc(sess.last_seen_at) > dt.timedelta(seconds=30):   # not a write per request
        sess.last_seen_at = now
        s.commit()
    return ConsoleContext(user, sess, client_of(request))


def require(ctx: ConsoleContext, *roles: str) -> None:
    if not ctx.can(*roles):
        raise HTTPException(403, "您的角色无权进行此操作")


def check_csrf(request: Request, ctx: ConsoleContext, form_token: str | None) -> None:
    """A state-changing request must carry the session's CSRF token (form field `csrf` or header
    X-CSRF-Token) and, when the browser sends one, an Origin of this very host."""
    check_origin(request)
    given = form_token or request.headers.get("x-csrf-token", "")
    if not given or not hmac.compare_digest(given.encode("utf-8"), ctx.session.csrf_token.encode("utf-8")):
        raise HTTPException(403, "页面已过期，请刷新后重试（CSRF token missing or wrong）")


def check_origin(request: Request) -> None:
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = request.headers.get("host", "")
        if origin.split("://", 1)[-1] != host:
            raise HTTPException(403, "跨站请求已拒绝（Origin does not match）")


def client_of(request: Request) -> str:
    return request.client.host if request.client else ""
