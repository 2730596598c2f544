"""``hedgesim-app``: serve the classroom page (Mesa's SolaraViz) on this machine.

Binds to 127.0.0.1 unless ``--host`` says otherwise (then it warns that the room can reach the
page), prints the address to open, and serves until interrupted. Bad arguments, a port already
taken, or the page's browser assets missing from .venv end with one line and exit code 2.

The server never calls out: solara's telemetry and version check are off, and solara's CDN
proxy (which downloads whatever ``/_solara/cdn/<pkg>@<version>/<file>`` a client asks for) is
replaced by a plain file server over the assets scripts/setup-extras installed: a file that is
not installed is a 404, at once. ``/resourcez`` (host CPU and memory) is a 404, and a path with
a control character (``/static/assets/%00``) a 400 instead of a 500.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import ipaddress
import os
import re
import socket
import sys
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import PlainTextResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocketClose

PAGE_MODULE = "hedgesim.app.page"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
CDN_PATH = "/_solara/cdn"
HIDDEN_PATHS = frozenset({"/resourcez"})
SETUP_HINT = "install them with scripts/setup-extras app (make setup runs it on a fresh .venv)"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class AppError(ValueError):
    """Why hedgesim-app cannot serve: one line, no traceback."""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Read --host and --port; raise AppError naming the value and what is allowed."""
    parser = argparse.ArgumentParser(
        prog="hedgesim-app", description="Serve the hedgesim classroom page in the browser."
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    parser.add_argument("--port", default=str(DEFAULT_PORT), help=f"port, 1-65535 (default {DEFAULT_PORT})")
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        raise AppError(f"unknown argument {unknown[0]!r}; allowed: --host H, --port N")
    args.port = _port(args.port)
    args.host = _host(args.host)
    return args


def _port(text: str) -> int:
    stripped = str(text).strip()
    if not stripped.isdigit() or not 1 <= int(stripped) <= 65535:
        raise AppError(f"--port={text!r}; allowed: an integer from 1 to 65535")
    return int(stripped)


def _host(text: str) -> str:
    host = str(text).strip()
    if host == "localhost":
        return host
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise AppError(f"--host={text!r}; allowed: an IP address such as 127.0.0.1, or localhost") from None
    return host


def exposure_warning(host: str) -> str:
    """The warning for a bind address other machines can reach ('' for a loopback address).

    Args:
        host: A host accepted by ``parse_args`` (an IP address, or ``localhost``).

    Returns:
        One line for stderr, or '' when only this machine can reach the page.
    """
    if host == "localhost":
        return ""
    address = ipaddress.ip_address(host)
    if getattr(address, "ipv4_mapped", None):
        address = address.ipv4_mapped
    if address.is_loopback:
        return ""
    return (
        f"hedgesim-app: warning: --host={host} is reachable from other machines: anyone on this "
        "network (the whole room) can open the page and run the model; leave out --host to keep "
        f"it on {DEFAULT_HOST}"
    )


def check_free(host: str, port: int) -> None:
    """Fail early, in one line, when the address cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            raise AppError(
                f"--host={host} --port={port} cannot be bound ({err.strerror}); "
                "allowed: a free port on an address of this machine"
            ) from None


def quiet_environment(host: str, port: int) -> None:
    """Point solara at the page and keep it from reaching outside this machine.

    Must run before solara is imported: solara reads these settings once, at import.
    """
    os.environ["SOLARA_APP"] = PAGE_MODULE
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    os.environ["SOLARA_MODE"] = "production"  # no version check (an iframe to solara.dev)
    # no "This website runs on Solara" badge: fixed over the corner, it covered a chart's title
    os.environ["SOLARA_THEME_SHOW_BANNER"] = "False"
    # the page loads its browser code from this server (/_solara/cdn/), never from a CDN
    os.environ["SOLARA_ASSETS_PROXY"] = "True"
    os.environ["SERVER_NAME"] = host
    os.environ["SERVER_PORT"] = str(port)
    os.environ.setdefault("MPLBACKEND", "Agg")


def assets_folder() -> Path:
    """Where scripts/setup-extras installs the page's browser assets (solara's CDN cache)."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def required_assets() -> list[str]:
    """The npm packages (``name@version``) the page loads from the assets folder.

    They are the app bundle and fonts named in solara's page template, require.js,
    font-awesome and the grid layout of Mesa's page; scripts/setup-extras installs this list.
    """
    from solara.server import settings

    spec = importlib.util.find_spec("solara")
    root = Path(next(iter(spec.submodule_search_locations)))
    template = (root / "server" / "templates" / "solara.html.j2").read_text(encoding="utf-8")
    found = set(re.findall(r"\{\{cdn\}\}/((?:@[\w-]+/)?[\w.-]+@\d+\.\d+\.\d+)/", template))
    for vue in (root / "widgets" / "vue").glob("gridlayout*.vue"):
        text = vue.read_text(encoding="utf-8")
        found |= set(re.findall(r"((?:@widgetti/)?vue-grid-layout@\d+\.\d+\.\d+[\w.-]*?)/dist", text))
    found.add(settings.assets.fontawesome_path.strip("/").split("/")[0])
    return sorted(found)


def missing_assets(folder: Path, specs: Iterable[str]) -> list[str]:
    """The packages of ``specs`` not installed in ``folder`` (an npm package has package.json)."""
    return [spec for spec in specs if not (folder / spec / "package.json").is_file()]


def check_assets() -> Path:
    """The assets folder, or AppError naming what is missing and the command that installs it."""
    folder = assets_folder()
    missing = missing_assets(folder, required_assets())
    if missing:
        raise AppError(
            f"the page's browser assets are missing from {folder} ({', '.join(missing)}); {SETUP_HINT}"
        )
    return folder


class InstalledAssets(StaticFiles):
    """The installed browser assets, as files: one that is not there is a 404, never a download."""

    def file_response(self, *args, **kwargs):
        """Serve a file; each lies under an exact npm version, so browsers may keep it."""
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


class ClassroomGuard:
    """Solara's app behind the classroom's rules: nothing fetched, nothing of the host shown.

    Args:
        app: The solara ASGI app.
        assets: The folder of installed browser assets, served at ``/_solara/cdn/``.
    """

    def __init__(self, app: ASGIApp, assets: Path):
        self.app = app
        files = GZipMiddleware(InstalledAssets(directory=assets), minimum_size=1000)
        self.cdn = Starlette(routes=[Mount(CDN_PATH, app=files)])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer malformed and hidden paths and the assets; hand everything else to solara."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if _CONTROL.search(path):
            await _refuse(scope, receive, send, 400, "Bad Request: malformed path")
        elif path.rstrip("/") in HIDDEN_PATHS:
            await _refuse(scope, receive, send, 404, "Not Found")
        elif path.startswith(CDN_PATH + "/"):
            await self.cdn(scope, receive, send)
        else:
            await self.app(scope, receive, send)


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, text: str) -> None:
    if scope["type"] == "websocket":
        await WebSocketClose(code=1008)(scope, receive, send)
    else:
        await PlainTextResponse(text, status_code=status)(scope, receive, send)


def serve(host: str, port: int, assets: Path | None = None) -> None:
    """Run the solara server (uvicorn) behind ClassroomGuard in this process until interrupted."""
    quiet_environment(host, port)
    # solara warns on every page load over plain http (the loopback case); nothing to act on
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    import uvicorn
    from solara.server.starlette import app

    guarded = ClassroomGuard(app, assets or assets_folder())
    config = uvicorn.Config(guarded, host=host, port=port, log_level="warning")
    uvicorn.Server(config).run()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``hedgesim-app``."""
    try:
        args = parse_args(argv)
        check_free(args.host, args.port)
        quiet_environment(args.host, args.port)
        assets = check_assets()
    except AppError as err:
        print(f"hedgesim-app: error: {err}", file=sys.stderr)
        return 2
    warning = exposure_warning(args.host)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(
        f"hedgesim-app: serving the classroom page at http://{shown}:{args.port}/ (Ctrl+C stops it)",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        serve(args.host, args.port, assets)
    return 0


if __name__ == "__main__":
    sys.exit(main())
