"""``hedgesim-app``: serve the classroom page (Mesa's SolaraViz) on this machine.

Binds to 127.0.0.1 unless ``--host`` says otherwise, prints the address to open, and serves
until interrupted. Bad arguments, or a port already taken, end with one line and exit code 2.
The server never calls out: solara's telemetry and version check are switched off.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
import socket
import sys
import warnings
from collections.abc import Sequence

PAGE_MODULE = "hedgesim.app.page"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


class AppError(ValueError):
    """A bad argument for hedgesim-app: one line, no traceback."""


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
    """Point solara at the page and keep it from reaching outside this machine."""
    os.environ["SOLARA_APP"] = PAGE_MODULE
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    os.environ["SOLARA_MODE"] = "production"
    os.environ["SERVER_NAME"] = host
    os.environ["SERVER_PORT"] = str(port)
    os.environ.setdefault("MPLBACKEND", "Agg")


def serve(host: str, port: int) -> None:
    """Run the solara server (uvicorn) in this process until interrupted."""
    quiet_environment(host, port)
    # solara warns on every page load over plain http (the loopback case); nothing to act on
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    import uvicorn

    config = uvicorn.Config("solara.server.starlette:app", host=host, port=port, log_level="warning")
    uvicorn.Server(config).run()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``hedgesim-app``."""
    try:
        args = parse_args(argv)
        check_free(args.host, args.port)
    except AppError as err:
        print(f"hedgesim-app: error: {err}", file=sys.stderr)
        return 2
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(
        f"hedgesim-app: serving the classroom page at http://{shown}:{args.port}/ (Ctrl+C stops it)",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        serve(args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
