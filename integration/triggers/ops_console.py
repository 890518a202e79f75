"""``GET /api/ops/console``: the ops console page and its script (static; the data comes from the ops
API with the function key the operator enters, so the page itself carries nothing sensitive). In Azure
App Service Authentication signs the operator in before the page is served."""

from __future__ import annotations

from pathlib import Path

import azure.functions as func

bp = func.Blueprint()

ASSETS = Path(__file__).resolve().parent.parent / "ops" / "console"
FILES = {
    "": ("index.html", "text/html"),
    "console.js": ("console.js", "application/javascript"),
    "money": ("money.html", "text/html"),
    "money.js": ("money.js", "application/javascript"),
    "crm": ("crm.html", "text/html"),
    "crm.js": ("crm.js", "application/javascript"),
}
SECURITY_HEADERS = {
    # frame-ancestors 'none' (and X-Frame-Options for older browsers): no other site can frame the
    # console and trick a signed-in operator into clicking its buttons.
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@bp.function_name("ops_console")
@bp.route(route="ops/console/{file?}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def ops_console(req: func.HttpRequest) -> func.HttpResponse:
    entry = FILES.get(req.route_params.get("file") or "")
    if entry is None:
        return func.HttpResponse("not found", status_code=404)
    name, mimetype = entry
    return func.HttpResponse((ASSETS / name).read_bytes(), mimetype=mimetype, headers=SECURITY_HEADERS)
