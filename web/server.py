"""The demo clinic page: a small Starlette app that shows the chat widget on a clinic's page.

    python -m web [--host 127.0.0.1] [--port 8080] [--bot-url http://localhost:5005]

Routes:
    /                      the demo clinic page (values from clinic.yml)
    /widget/triage-widget.js, /widget/triage-widget.css
                           the widget a clinic embeds: web/static/widget/, which web/build.js
                           bundles from the sources in web/widget/
    /widget/vendor/socket.io.min.js
                           socket.io-client, copied from node_modules by web/build.js
    /static/demo.css       the demo page's own style
    /healthz               "ok"

The page carries a Content-Security-Policy that allows scripts, styles and connections only
to this server and to the bot: a browser would refuse anything that tried to reach a third
party, so the demo shows that the widget needs none.
"""

from __future__ import annotations

import argparse
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from common.headers import SecurityHeaders
from triage import Service, load_clinic
from triage.clinic import check_live

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WIDGET_SRC_DIR = HERE / "widget"
STATIC_DIR = HERE / "static"
WIDGET_DIR = STATIC_DIR / "widget"
WIDGET_FILE = WIDGET_DIR / "triage-widget.js"
VENDOR_DIR = STATIC_DIR / "vendor"
VENDOR_FILE = VENDOR_DIR / "socket.io.min.js"
TEMPLATES = HERE / "templates"
DEFAULT_BOT_URL = "http://localhost:5005"
BUILD_HINT = "npm ci --prefix web && node web/build.js"

log = logging.getLogger("web")


@dataclass(frozen=True)
class DemoClinic:
    """What the demo page shows; every value comes from clinic.yml (triage.load_clinic)."""

    clinic_name: str
    emergency_number: str
    maternity_triage: Service
    contacts: tuple[Service, ...]
    address: str | None = None
    chat_kept_hours: float = 0
    quick_exit_url: str = "https://www.bbc.co.uk/weather"


def load_demo_clinic(path: str | os.PathLike[str] | None = None) -> DemoClinic:
    c = load_clinic(path)
    check_live(c)  # a live deployment never shows the demo's numbers
    return DemoClinic(
        clinic_name=c.clinic_name,
        emergency_number=c.emergency_number,
        maternity_triage=c.maternity_triage,
        contacts=(c.maternity_triage, c.early_pregnancy_unit, c.midwife_team, c.out_of_hours),
        address=c.maternity_triage.address,
        chat_kept_hours=c.chat_kept_hours,
        quick_exit_url=c.quick_exit_url,
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"--bot-url must be an http(s) URL, got {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(bot_url: str) -> str:
    origin = _origin(bot_url)
    ws_origin = ("wss" if origin.startswith("https") else "ws") + origin[origin.index(":") :]
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' {origin} {ws_origin}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


def build_problem() -> str | None:
    """Why the built widget cannot be served as it is (missing or older than its sources)."""
    for built in (VENDOR_FILE, WIDGET_FILE, WIDGET_DIR / "triage-widget.css"):
        if not built.is_file():
            return f"{built} is missing"
    built_at = min(WIDGET_FILE.stat().st_mtime, (WIDGET_DIR / "triage-widget.css").stat().st_mtime)
    for source in sorted(WIDGET_SRC_DIR.iterdir()):
        if source.suffix in (".js", ".css") and source.stat().st_mtime > built_at:
            return f"{source} changed after the widget was built"
    return None


def create_app(
    bot_url: str = DEFAULT_BOT_URL, clinic: DemoClinic | None = None, *, require_vendor: bool = True
) -> ASGIApp:
    """The demo app. ``bot_url`` is where the widget finds Rasa's socket.io channel."""
    bot_url = bot_url.rstrip("/")
    _origin(bot_url)
    problem = build_problem() if require_vendor else None
    if problem:
        raise SystemExit(f"{problem}: build the widget first with `{BUILD_HINT}`")
    clinic = clinic or load_demo_clinic()
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"])
    )
    template = env.get_template("demo.html")

    async def demo_page(request: Request) -> Response:
        html = template.render(clinic=clinic, bot_url=bot_url)
        return HTMLResponse(html, headers={"cache-control": "no-store"})

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    routes = [
        Route("/", demo_page),
        Route("/healthz", healthz),
        Mount(
            "/widget/vendor",
            app=StaticFiles(directory=str(VENDOR_DIR), check_dir=False),
            name="vendor",
        ),
        Mount("/widget", app=StaticFiles(directory=str(WIDGET_DIR)), name="widget"),
        Mount("/static", app=StaticFiles(directory=str(STATIC_DIR)), name="static"),
    ]
    app = Starlette(routes=routes)
    return SecurityHeaders(app, content_security_policy(bot_url), referrer_policy="no-referrer")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m web", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("WEB_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("WEB_PORT", "8080")))
    parser.add_argument(
        "--bot-url",
        default=os.environ.get("BOT_URL", DEFAULT_BOT_URL),
        help="the Rasa server's URL, as the browser reaches it",
    )
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)

    import uvicorn

    app = create_app(args.bot_url)
    print(f"demo clinic page on http://{args.host}:{args.port}/ (bot: {args.bot_url})", flush=True)
    # ws="none": the page needs no websockets of its own, and rasa pins a websockets release
    # too old for uvicorn's default websocket implementation.
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, ws="none")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
