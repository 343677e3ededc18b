"""``/preview``: the template preview page for editors, and the JSON API it calls.

``GET /preview`` serves a static page (``worker/web/preview_page/``: HTML, CSS and vanilla JS,
no build step) that holds no data. Everything it shows comes from ``/preview/api/...``, behind
the same bearer API keys as ``/v1`` (``worker.web.auth``): the editor types a key into the page
once, the page keeps it in the tab's ``sessionStorage`` and sends it as
``Authorization: Bearer <key>`` on each request. A browser cannot attach that header to a page
load, so the page itself is public and the data is not; no cookie is set, so no other site can
make the browser call the API on the editor's behalf.

The API renders with ``worker.lint.preview``, the engine of ``remind templates preview``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from fastapi.responses import HTMLResponse, Response

from worker.config import Settings
from worker.errors import InvalidInput
from worker.lint.preview import preview, read_account, template_channels
from worker.rendering.renderer import Renderer
from worker.web.auth import require_key

_PAGE = Path(__file__).parent / "preview_page"
#: The page's own script and style only; inline styles for the email shown in the frame. The
#: frame (``sandbox`` without ``allow-scripts``) runs no script even if an email held one.
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "connect-src 'self'; img-src 'self' data: https:; frame-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
_ASSETS = {"preview.js": "text/javascript", "preview.css": "text/css"}
#: The fields ``POST /preview/api/render`` takes.
_RENDER_FIELDS = ("template", "locale", "channel", "account")


def preview_router(settings: Settings) -> APIRouter:
    """The page, its two assets, and the API over ``settings.templates_dir``."""
    router = APIRouter(prefix="/preview", tags=["preview"])
    api = APIRouter(prefix="/api", dependencies=[Depends(require_key)])
    templates_dir = Path(settings.templates_dir)

    @router.get("", include_in_schema=False)
    def page() -> HTMLResponse:
        """The page: no data in it, so no key needed to load it."""
        html = (_PAGE / "preview.html").read_text(encoding="utf-8")
        return HTMLResponse(html, headers=_headers())

    @router.get("/{asset}", include_in_schema=False)
    def asset(asset: str) -> Response:
        """``preview.js`` and ``preview.css``; any other name is 404."""
        if asset not in _ASSETS:
            return Response(status_code=404)
        body = (_PAGE / asset).read_text(encoding="utf-8")
        return Response(body, media_type=_ASSETS[asset], headers=_headers())

    @api.get("/templates")
    def templates() -> dict[str, Any]:
        """Every template with the locales it has files for and the channels it has parts for."""
        renderer = Renderer(templates_dir)
        return {
            "templates": [
                {
                    "name": name,
                    "locales": sorted(renderer.locales_of(name), key=lambda t: (t != "en", t)),
                    "channels": list(template_channels(renderer, name)),
                }
                for name in renderer.template_names()
            ]
        }

    @api.post("/render")
    def render(
        body: Annotated[Any, Body(description="template, and optional locale, channel, account")],
    ) -> dict[str, Any]:
        """Render one template (every part, or one channel) for the sample or a pasted account,
        with SMS costs and lint findings; a bad field is 422 naming it."""
        if not isinstance(body, dict):
            raise InvalidInput("the request must be a JSON object")
        for key in body:
            if key not in _RENDER_FIELDS:
                raise InvalidInput(f"is not a field (use {', '.join(_RENDER_FIELDS)})", field=key)
        name = body.get("template")
        if not isinstance(name, str) or not name:
            raise InvalidInput("must name a template", field="template")
        locale, channel = _text(body, "locale"), _text(body, "channel")
        account = body.get("account")
        given = None if account is None else read_account(account, "the pasted account")
        shown = preview(
            templates_dir,
            name,
            locale=locale,
            channel=channel,
            account=given,
            account_source="the pasted account",
        )
        return shown.as_json()

    router.include_router(api)
    return router


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput("must be a string", field=key)
    return value


def _headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": _CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
