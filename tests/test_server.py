"""The classroom server's guard: nothing fetched from outside, nothing of the host shown.

The server runs as ``hedgesim-app`` does, in its own process on a free 127.0.0.1 port, with a
hook (``sitecustomize``) that refuses and records every name lookup and connection beyond this
machine, and with an assets folder made here, so the tests need neither the network nor setup.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import classroom_browser as browser
import pytest

from hedgesim.app import server as app_server
from hedgesim.app.server import exposure_warning, main, missing_assets

OUTBOUND_HOOK = textwrap.dedent(
    '''
    """Test hook: refuse, and record, every name lookup and connection beyond this machine."""
    import os
    import socket

    _LOG = os.environ["HEDGESIM_OUTBOUND_LOG"]
    _LOCAL = ("127.", "::1", "localhost")


    def _note(line):
        with open(_LOG, "a", encoding="utf-8") as log:
            log.write(line + "\\n")


    def _local(host):
        host = host.decode() if isinstance(host, bytes) else host
        return not host or str(host).startswith(_LOCAL)


    _getaddrinfo = socket.getaddrinfo
    _connect = socket.socket.connect
    _connect_ex = socket.socket.connect_ex


    def getaddrinfo(host, *args, **kwargs):
        if not _local(host):
            _note(f"lookup {host}")
            raise socket.gaierror(f"test hook: no lookups beyond this machine ({host})")
        return _getaddrinfo(host, *args, **kwargs)


    def _check(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
            _note(f"connect {address[0]}")
            raise ConnectionRefusedError(f"test hook: no connections beyond this machine ({address})")


    def connect(self, address):
        _check(self, address)
        return _connect(self, address)


    def connect_ex(self, address):
        _check(self, address)
        return _connect_ex(self, address)


    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    _note(f"watching {os.getpid()}")
    '''
)
REQUIRE_JS = b"/* require.js as installed */\n"


def _hooked_env(folder: Path) -> dict[str, str]:
    """Environment that loads the outbound hook into a Python started with it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(OUTBOUND_HOOK, encoding="utf-8")
    path = os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, "HEDGESIM_OUTBOUND_LOG": str(folder / "outbound.log")}


def _required_assets() -> list[str]:
    """The list hedgesim-app checks, read as scripts/setup-extras reads it (solara stays out of here)."""
    code = "from hedgesim.app.server import required_assets; print('\\n'.join(required_assets()))"
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return shown.stdout.split()


def _get(url: str, path: str) -> tuple[int, dict[str, str], bytes, float]:
    """GET ``path`` as sent (no quoting, no normalising); return status, headers, body, seconds."""
    host, port = url.split("//")[1].strip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    start = time.monotonic()
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        return (
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            body,
            time.monotonic() - start,
        )
    finally:
        connection.close()


# --- the decisions, without a server ---------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "::ffff:127.0.0.1"])
def test_no_warning_on_a_loopback_address(host):
    assert exposure_warning(host) == ""


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.5", "fe80::1"])
def test_a_bind_beyond_loopback_warns_that_the_room_can_reach_the_page(host):
    warning = exposure_warning(host)
    assert warning.startswith(f"hedgesim-app: warning: --host={host} is reachable from other machines")
    assert "the whole room" in warning and "leave out --host" in warning and "\n" not in warning


@pytest.mark.parametrize(("argv", "warned"), [(["--host", "0.0.0.0"], True), ([], False)])
def test_main_prints_the_warning_before_serving(argv, warned, monkeypatch, capsys):
    """main on 0.0.0.0 warns; nothing is bound beyond loopback (binding and serving are stubbed)."""
    served = []
    monkeypatch.setattr(app_server, "check_free", lambda host, port: None)
    monkeypatch.setattr(app_server, "quiet_environment", lambda host, port: None)
    monkeypatch.setattr(app_server, "check_assets", lambda: Path("assets"))
    monkeypatch.setattr(app_server, "serve", lambda *args: served.append(args))
    assert main([*argv, "--port", "9000"]) == 0
    out, err = capsys.readouterr()
    assert served == [(argv[1] if argv else "127.0.0.1", 9000, Path("assets"))]
    assert ("the whole room" in err) is warned
    assert out.startswith("hedgesim-app: serving the classroom page at http://")


def test_missing_assets_are_named_and_a_folder_without_package_json_counts_as_missing(tmp_path):
    specs = ["requirejs@2.3.6", "@widgetti/solara-vuetify-app@10.1.1", "font-awesome@4.5.0"]
    (tmp_path / "requirejs@2.3.6").mkdir()
    (tmp_path / "requirejs@2.3.6" / "package.json").write_text("{}")
    (tmp_path / "font-awesome@4.5.0" / "css").mkdir(parents=True)  # a file or two, no package
    assert missing_assets(tmp_path, specs) == specs[1:]
    assert missing_assets(tmp_path / "nowhere", specs) == specs


def test_required_assets_are_the_pinned_packages_of_solaras_page():
    specs = _required_assets()
    assert "requirejs@2.3.6" in specs and "font-awesome@4.5.0" in specs
    assert any(s.startswith("@widgetti/solara-vuetify-app@") for s in specs)
    assert any("vue-grid-layout@" in s for s in specs)
    assert all("@" in s.lstrip("@") and s.rsplit("@", 1)[1][0].isdigit() for s in specs)


def test_without_its_assets_the_server_says_what_to_run_and_exits(tmp_path):
    env = {**os.environ, "SOLARA_ASSETS_PROXY_CACHE_DIR": str(tmp_path / "empty")}
    command = [sys.executable, "-m", "hedgesim.app.server", "--port", str(browser.free_port())]
    start = time.monotonic()
    shown = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert time.monotonic() - start < 60
    assert shown.returncode == 2 and shown.stdout == ""
    assert shown.stderr.startswith("hedgesim-app: error: the page's browser assets are missing from ")
    assert "requirejs@2.3.6" in shown.stderr and "scripts/setup-extras app" in shown.stderr
    assert shown.stderr.count("\n") == 1


def test_the_hook_catches_a_call_out(tmp_path):
    """The detector itself: a Python with the hook that tries the CDN is refused, and it is recorded."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}  # straight at the CDN
    env.update(_hooked_env(tmp_path))
    code = textwrap.dedent(
        """
        import requests
        try:
            requests.get("https://cdn.jsdelivr.net/npm/x", timeout=5)
        except requests.ConnectionError:
            pass
        """
    )
    subprocess.run([sys.executable, "-c", code], env=env, timeout=60, check=True)
    lines = (tmp_path / "outbound.log").read_text().splitlines()
    assert lines[0].startswith("watching ") and "lookup cdn.jsdelivr.net" in lines[1:]


# --- the server, as hedgesim-app runs it --------------------------------------------------------


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    """(url, assets folder, outbound log) of a running server; it is stopped after the module."""
    root = tmp_path_factory.mktemp("server")
    assets = root / "assets"
    for spec in _required_assets():
        (assets / spec).mkdir(parents=True)
        (assets / spec / "package.json").write_text("{}")
    (assets / "requirejs@2.3.6" / "require.js").write_bytes(REQUIRE_JS)
    (assets / "font-awesome@4.5.0" / "css").mkdir()
    (assets / "font-awesome@4.5.0" / "css" / "font-awesome.min.css").write_text("/* fa */")
    (root / "secret.txt").write_text("outside the assets folder")
    env = {**_hooked_env(root / "hook"), "SOLARA_ASSETS_PROXY_CACHE_DIR": str(assets)}
    with browser.serving(env=env) as (url, process):
        yield url, assets, root / "hook" / "outbound.log"
        assert process.poll() is None  # no request ended the server


def _calls_out(log: Path) -> list[str]:
    lines = log.read_text().splitlines()
    assert lines and lines[0].startswith("watching ")  # the hook runs in the server
    return lines[1:]


def test_an_uninstalled_package_is_a_quick_404_and_nothing_is_fetched(guarded):
    url, assets, log = guarded
    status, _, _, seconds = _get(url, "/_solara/cdn/some-uninstalled-pkg@1.0.0/x.js")
    assert status == 404 and seconds < 2
    for path in ("/_solara/cdn/requirejs@2.3.6/r.js", "/_solara/cdn/requirejs@2.3.6", "/_solara/cdn/"):
        assert _get(url, path)[0] == 404
    assert _calls_out(log) == []
    assert not (assets / "some-uninstalled-pkg@1.0.0").exists()  # nothing written either


def test_installed_assets_are_served_as_they_are(guarded):
    url, assets, log = guarded
    status, headers, body, _ = _get(url, "/_solara/cdn/requirejs@2.3.6/require.js")
    assert status == 200 and body == REQUIRE_JS
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    # a folder is a 404, and stays (solara's proxy deleted a folder asked for, then fetched it)
    assert _get(url, "/_solara/cdn/font-awesome@4.5.0/css")[0] == 404
    assert (assets / "font-awesome@4.5.0" / "css" / "font-awesome.min.css").is_file()
    for path in (
        "/_solara/cdn/../secret.txt",
        "/_solara/cdn/..%2fsecret.txt",
        "/_solara/cdn/%2e%2e/secret.txt",
    ):
        status, _, body, _ = _get(url, path)
        assert status in (400, 404) and b"outside" not in body
    assert _calls_out(log) == []


def test_the_page_loads_its_browser_code_from_this_server(guarded):
    url, _, log = guarded
    status, _, body, _ = _get(url, "/")
    assert status == 200
    assert b'src="/_solara/cdn/requirejs@2.3.6/require.js"' in body
    assert b"cdn.jsdelivr.net" not in body and b"solara.dev/static/public/success" not in body
    assert _get(url, "/readyz")[0] == 200  # the liveness probe stays
    assert _calls_out(log) == []


@pytest.mark.parametrize("path", ["/resourcez", "/resourcez?verbose", "/resourcez/"])
def test_resourcez_is_not_served(guarded, path):
    status, _, body, _ = _get(guarded[0], path)
    assert status == 404 and b"cpu" not in body and b"memory" not in body


@pytest.mark.parametrize(
    "path",
    [
        "/static/assets/%00",
        "/static/%00",
        "/static/public/%00",
        "/jupyter/nbextensions/%00",
        "/_solara/cdn/%00",
        "/static/assets/a%0ab",
        "/static/assets/%1f",
        "/static/assets/%7f",
    ],
)
def test_a_path_with_a_control_character_is_a_400(guarded, path):
    assert _get(guarded[0], path)[0] == 400


@pytest.mark.parametrize(
    "path", ["/static/assets/%ff", "/static/assets/" + "a" * 5000, "/static/assets/%c0%ae"]
)
def test_other_odd_paths_are_a_404(guarded, path):
    assert _get(guarded[0], path)[0] == 404
