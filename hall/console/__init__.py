"""The hall manager's web console (/console/…): Jinja2 pages, a little JS, no build step.

Not part of the kiosk API's OpenAPI contract (include_in_schema=False): it is a browser UI
behind a login, tested with a real browser (tests/e2e/test_console.py).
"""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from hall.console import (pages_admin, pages_applications, pages_auth, pages_credit_import, pages_outbox,
                          pages_terminals, pages_users)

STATIC = Path(__file__).resolve().parent / "static"
_STATIC_FILES = {"console.css": "text/css", "console.js": "text/javascript"}

router = APIRouter(include_in_schema=False)
for _module in (pages_auth, pages_terminals, pages_applications, pages_admin, pages_users, pages_credit_import,
                pages_outbox):
    router.include_router(_module.router)


@router.get("/console/static/{name}")
def static(name: str):
    # A fixed list, not a directory: no path in a URL can reach any other file.
    if name not in _STATIC_FILES:
        raise HTTPException(404, "not found")
    return FileResponse(STATIC / name, media_type=_STATIC_FILES[name], headers={"Cache-Control": "no-cache"})
