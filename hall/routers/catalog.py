"""GET /api/v1/catalog: the current catalogue, with an ETag the kiosk revalidates against."""
from __future__ import annotations

from fastapi import APIRouter, Request, Response

from hall.api_deps import CatalogDep, Terminal

router = APIRouter()


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


@router.get("/api/v1/catalog", responses={200: {"content": {"application/json": {}},
                                                "description": "{\"matters\": [Matter.to_dict(), …]}"},
                                           304: {"description": "If-None-Match matched the ETag"}})
def get_catalog(request: Request, _t: Terminal, snap: CatalogDep):
    headers = {"ETag": snap.etag, "Cache-Control": "no-cache"}
    if _etag_matches(request.headers.get("if-none-match"), snap.etag):
        return Response(status_code=304, headers=headers)
    return Response(snap.body, media_type="application/json", headers=headers)
