"""Drive the classroom page in a real browser: the server on a free loopback port, headless Chromium.

Used by the browser test and by the script that takes the screenshots of docs/teaching.md.
Chromium is Debian's (/usr/bin/chromium, installed by scripts/setup-extras); Playwright only
drives it and never downloads a browser of its own. Playwright is imported when a browser is
opened, so the page itself does not need it. ``loopback_only`` keeps the browser on this
machine: every request to another host is aborted and recorded.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
LOOPBACK = "127.0.0.1"
LOOPBACK_HOSTS = frozenset({LOOPBACK, "localhost", "::1"})


def free_port() -> int:
    """A port nobody listens on at the loopback address right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(
    port: int | None = None, timeout: float = 120.0, env: Mapping[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run ``hedgesim-app`` on the loopback address until the block ends; yield (url, process).

    The server runs in its own process group, which is ended (SIGTERM, then SIGKILL after 15 s)
    when the block ends, whatever happened inside it.

    Args:
        port: The port to serve on (default: a free one).
        timeout: Seconds to wait for the page to answer.
        env: Environment variables for the server, over this process's own.
    """
    port = port or free_port()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as log:  # a pipe nobody reads would fill and block it
        process = subprocess.Popen(
            [sys.executable, "-m", "hedgesim.app.server", "--host", LOOPBACK, "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
        process.log = log
        url = f"http://{LOOPBACK}:{port}/"
        try:
            _wait_until_up(url, process, timeout)
            yield url, process
        finally:
            stop(process)


def server_output(process: subprocess.Popen, tail: int = 2000) -> str:
    """The last ``tail`` characters the server printed (its log, warnings, tracebacks)."""
    log = getattr(process, "log", None)
    if log is None or log.closed:
        return ""
    log.flush()
    log.seek(0)
    return log.read()[-tail:]


def stop(process: subprocess.Popen) -> None:
    """End the server's process group and wait for it."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = server_output(process)
            raise RuntimeError(f"hedgesim-app exited with {process.returncode}: {output[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"hedgesim-app did not answer at {url} within {timeout:.0f} s")


@contextmanager
def chromium(user_data_dir: Path, width: int = 1600, height: int = 1100):
    """A headless Chromium context with a fresh profile in ``user_data_dir``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(user_data_dir),
            executable_path=str(CHROMIUM),
            headless=True,
            args=list(CHROMIUM_FLAGS),
            viewport={"width": width, "height": height},
        )
        try:
            yield context
        finally:
            context.close()


@contextmanager
def classroom(user_data_dir: Path, width: int = 1280, height: int = 800) -> Iterator[ClassroomPage]:
    """The page served on loopback and opened in a headless Chromium of that size, for the
    block: what most browser tests start from (the server and the browser end with the block)."""
    with serving() as (url, server), chromium(user_data_dir, width=width, height=height) as context:
        ui = ClassroomPage(context.new_page(), server=server)
        ui.open(url)
        yield ui


@dataclass
class Traffic:
    """The requests a browser context made: ``METHOD url`` of those let through and those aborted."""

    allowed: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


def loopback_only(context) -> Traffic:
    """Abort every request of ``context`` to a host other than this machine, and record them.

    Args:
        context: A Playwright browser context (e.g. from ``chromium``).

    Returns:
        The record, filled as the page runs.
    """
    traffic = Traffic()

    def route(found) -> None:
        request = found.request
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob") or parts.hostname in LOOPBACK_HOSTS:
            traffic.allowed.append(f"{request.method} {request.url}")
            found.continue_()
        else:
            traffic.blocked.append(f"{request.method} {request.url}")
            found.abort("blockedbyclient")

    context.route("**/*", route)
    return traffic


def months_before(month: str, count: int) -> str:
    """The month ``count`` months before ``month`` (both YYYY-MM)."""
    year, number = (int(part) for part in month.split("-"))
    index = year * 12 + number - 1 - count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


class PageStalled(AssertionError):
    """The page's run did not move within the wait."""


class ClassroomPage:
    """The page's controls, by what a teacher sees on them."""

    def __init__(self, page, timeout_ms: float = 60_000, server: subprocess.Popen | None = None):
        self.page = page
        self.timeout_ms = timeout_ms
        self.server = server  # what it printed is told when the page stalls

    def open(self, url: str) -> None:
        self.page.goto(url, wait_until="domcontentloaded", timeout=self.timeout_ms)
        self.page.locator(".hedgesim-date").first.wait_for(timeout=self.timeout_ms)

    def month(self) -> str:
        """The month shown, YYYY-MM, or '' before the first step."""
        text = self.page.locator(".hedgesim-date").first.inner_text()
        found = re.search(r"\d{4}-\d{2}", text)
        return found.group(0) if found else ""

    def status(self) -> str:
        return self.page.locator(".hedgesim-status").first.inner_text()

    def button(self, name: str) -> None:
        self.page.get_by_role("button", name=name, exact=True).click()

    def step(self, times: int = 1) -> None:
        for _ in range(times):
            before = self.month()
            self.button("Step")
            self._wait_for_date("return e && !e.innerText.includes(arg || 'not started');", before)

    def _wait_for_date(self, condition: str, arg: str | None) -> None:
        """Wait until ``condition`` (JavaScript, with ``e`` the page's date element) holds.

        Raises:
            PageStalled: it did not hold within ``timeout_ms``; the message says what the page showed.
        """
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        script = f"arg => {{ const e = document.querySelector('.hedgesim-date'); {condition} }}"
        try:
            self.page.wait_for_function(script, arg=arg, timeout=self.timeout_ms)
        except PlaywrightTimeout as timeout:
            waited = f"waited {self.timeout_ms / 1000:.0f} s for {arg!r}"
            raise PageStalled(f"{waited}: {self.shown()}") from timeout

    def shown(self) -> str:
        """What the page shows of its run (the month, the play button, any error) and, when the
        page has lost its date, its text and the server's last output, in one message."""
        buttons = {label: self.page.get_by_role("button", name=label, exact=True) for label in ("▶", "❚❚")}
        play = [label for label, button in buttons.items() if button.count()]
        errors = self.page.locator(".v-alert, .hedgesim-error").all_inner_texts()
        if self.page.locator(".hedgesim-date").count():
            return f"month {self.month() or 'none'}, play button {play}, errors {errors}"
        text = " ".join(self.page.locator("body").inner_text(timeout=5_000).split())[:4000]
        if self.server is None:
            output = "(not known)"
        else:
            state = "running" if self.server.poll() is None else f"exited with {self.server.returncode}"
            output = f"{state}, printed: {server_output(self.server)!r}"
        page = f"no date on the page; play button {play}, errors {errors}; page text: {text!r}"
        return f"{page}; server: {output}"

    def reset(self, expect: str | None = None) -> None:
        """Press Reset; with ``expect``, wait until the status line shows that text."""
        self.button("Reset")
        if expect is not None:
            self.page.locator(".hedgesim-status", has_text=expect).first.wait_for(timeout=self.timeout_ms)
        self.page.get_by_text("not started").first.wait_for(timeout=self.timeout_ms)

    def error(self) -> str:
        """The visible message about a bad value ('' when there is none)."""
        found = self.page.locator(".hedgesim-error")
        return found.first.inner_text() if found.count() else ""

    def play_until(self, month: str, margin: int = 3) -> None:
        """Bring the page to exactly ``month``: play to ``margin`` months before it, pause, then Step.

        Playing right up to ``month`` shows the month after it: Mesa's player sleeps, then steps,
        so a step already under way when the pause click arrives still lands (the pause takes
        one round trip to the server). The last months are therefore stepped one at a time.

        Raises:
            RuntimeError: the page had already passed ``month`` (it cannot go back).
        """
        short = months_before(month, margin)
        if self.month() < short:
            self.button("▶")
            self.page.get_by_role("button", name="❚❚", exact=True).wait_for(timeout=self.timeout_ms)
            self._wait_while_playing(short)
            self.button("❚❚")
            self.wait_until_paused()
        while self.month() < month:
            self.step()
        if self.month() != month:
            raise RuntimeError(f"the page passed {month} before it could pause: it shows {self.month()}")

    def _wait_while_playing(self, month: str) -> None:
        """Wait until the page shows ``month`` or later.

        The timeout applies to each month, not to the whole play: a page that stops moving fails
        within ``timeout_ms``, while one that moves slowly (a loaded machine) is waited for.
        """
        shown = self.month()
        while shown < month:
            self._wait_for_date(
                "const f = e && e.innerText.match(/\\d{4}-\\d{2}/); return f && f[0] > arg;", shown
            )
            shown = self.month()

    def wait_until_paused(self, settle_ms: int = 1000) -> None:
        """Wait until the play button is back and the month shown stands still for ``settle_ms``."""
        self.page.get_by_role("button", name="▶", exact=True).wait_for(timeout=self.timeout_ms)
        shown = self.month()
        while True:
            self.page.wait_for_timeout(settle_ms)
            now, shown = shown, self.month()
            if now == shown:
                return

    def type_into(self, label: str, value: str) -> None:
        field = self.page.get_by_label(label)
        field.fill(value)
        field.press("Enter")

    def slider(self, label: str):
        """The slider named ``label`` (its name is the text above its track)."""
        named = self.page.locator(".hedgesim-slider").filter(
            has=self.page.locator(".hedgesim-slider-label", has_text=re.compile(f"^{re.escape(label)}$"))
        )
        return named.get_by_role("slider").first

    def slider_value(self, label: str) -> str:
        """The value shown beside the slider named ``label``."""
        named = self.page.locator(".hedgesim-slider").filter(
            has=self.page.locator(".hedgesim-slider-label", has_text=re.compile(f"^{re.escape(label)}$"))
        )
        return named.locator(".hedgesim-slider-value").first.inner_text()

    def slide(self, label: str, notches: int, step: float = 0.05) -> None:
        """Move the slider named ``label`` by ``notches`` steps (negative: to the left).

        One key press at a time, each waited for until the value shown beside the slider has
        moved (the page sends the value back; a press before that could be undone by it), so a
        Reset that follows takes the new value.
        """
        value = float(self.slider_value(label))
        slider = self.slider(label)
        for _ in range(abs(notches)):
            value += step if notches > 0 else -step
            slider.focus()
            slider.press("ArrowRight" if notches > 0 else "ArrowLeft")
            self.page.wait_for_function(
                "([label, value]) => [...document.querySelectorAll('.hedgesim-slider')].some(s =>"
                " s.querySelector('.hedgesim-slider-label')?.innerText.trim() === label &&"
                " s.querySelector('.hedgesim-slider-value')?.innerText.trim() === value)",
                arg=[label, f"{value:.2f}"],
                timeout=self.timeout_ms,
            )

    def choose(self, label: str, option: str) -> None:
        self.page.locator(".v-input").filter(has_text=label).first.click()
        self.page.get_by_role("option", name=option, exact=True).click()

    def switch(self, label: str) -> None:
        self.page.get_by_label(label, exact=True).click()

    def log_entries(self) -> list[str]:
        return [t for t in self.page.locator(".hedgesim-log-entries li").all_inner_texts() if t]

    def chart(self, name: str):
        return self.page.locator(f".hedgesim-chart-{name}").first

    def expand_shocks(self, group: str) -> None:
        """Open the group of dated shocks whose header starts with ``group`` (e.g. ``Wars``)."""
        self.page.locator(".hedgesim-group-toggle", has_text=f"▸ {group}").first.click()
        self.page.locator(".hedgesim-group-toggle", has_text=f"▾ {group}").first.wait_for()

    def layout_problems(self) -> list[str]:
        """Text of the page's own components that is clipped or overlaps other such text.

        Compares the bounding boxes of the rendered text (not of the boxes around it) of
        headings, labels, slider values and marks, buttons, notes, chart titles, legend entries
        and captions, and of the chart images: each must lie inside every ancestor that clips it
        (and inside the window's width), and no two may overlap. A chart image must also be shown
        at no less than its natural size. Every scroll container is first scrolled back to its
        top, so the page is measured as laid out (the app bar covers scrolled content by design).
        Returns one line per problem.
        """
        return self.page.evaluate(LAYOUT_CHECK, list(TEXT_SELECTORS))


TEXT_SELECTORS = (
    ".hedgesim-title",
    ".v-card-title",
    ".hedgesim-main h2",
    ".hedgesim-main h3",
    ".hedgesim-slider-label",
    ".hedgesim-slider-value",
    ".v-slider-track__tick-label",
    ".v-slider-thumb__label",
    ".v-label",
    ".v-field-label",
    ".v-field__input",
    ".v-select__selection-text",
    ".v-btn__content",
    ".hedgesim-hint",
    ".hedgesim-status",
    ".hedgesim-compare-note",
    ".hedgesim-kept",
    ".hedgesim-error",
    ".hedgesim-chart-title",
    ".hedgesim-legend-entry",
    ".hedgesim-caption",
    ".hedgesim-log-help",
    ".hedgesim-log-column b",
    ".hedgesim-chart-image",
)
"""The page's own text (and chart images) that ``layout_problems`` checks."""

LAYOUT_CHECK = """
(selectors) => {
  // measure the page as laid out, not as scrolled: every scroll container back to its top
  window.scrollTo(0, 0);
  for (const e of document.querySelectorAll('*')) if (e.scrollTop) e.scrollTop = 0;
  const problems = [];
  const name = (e) => {
    const classes = typeof e.className === 'string' ? e.className.trim().split(/\\s+/) : [];
    const ours = classes.filter(c => c.startsWith('hedgesim-'));
    const shown = (ours.length ? ours : classes).slice(0, 2);
    const text = (e.innerText || '').trim().slice(0, 40);
    return (shown.length ? '.' + shown.join('.') : e.tagName) + ' "' + text + '"';
  };
  const visible = (e) => {
    const r = e.getBoundingClientRect();
    const s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  const textBox = (e) => {
    if (e.tagName === 'IMG') return e.getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(e);
    const rects = [...range.getClientRects()].filter(r => r.width > 0 && r.height > 0);
    if (!rects.length) return null;
    const box = {left: Infinity, top: Infinity, right: -Infinity, bottom: -Infinity};
    for (const r of rects) {
      box.left = Math.min(box.left, r.left); box.top = Math.min(box.top, r.top);
      box.right = Math.max(box.right, r.right); box.bottom = Math.max(box.bottom, r.bottom);
    }
    return box;
  };
  const found = [];
  for (const selector of selectors) {
    for (const e of document.querySelectorAll(selector)) {
      if (!visible(e) || found.some(f => f.element === e)) continue;
      const box = textBox(e);
      if (box) found.push({element: e, box});
    }
  }
  const slack = 1;
  for (const {element, box} of found) {
    if (box.left < -slack || box.right > window.innerWidth + slack) {
      problems.push('outside the window: ' + name(element));
    }
    for (let a = element.parentElement; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      const r = a.getBoundingClientRect();
      const clipsX = s.overflowX !== 'visible', clipsY = ['hidden', 'clip'].includes(s.overflowY);
      if ((clipsX && (box.left < r.left - slack || box.right > r.right + slack))
          || (clipsY && (box.top < r.top - slack || box.bottom > r.bottom + slack))) {
        problems.push('clipped: ' + name(element) + ' by ' + name(a).split(' "')[0]);
        break;
      }
    }
    if (element.tagName === 'IMG' && element.naturalWidth
        && element.getBoundingClientRect().width < element.naturalWidth - slack) {
      problems.push('shrunk below its natural size: ' + name(element));
    }
  }
  for (let i = 0; i < found.length; i++) {
    for (let j = i + 1; j < found.length; j++) {
      const a = found[i], b = found[j];
      if (a.element.contains(b.element) || b.element.contains(a.element)) continue;
      const w = Math.min(a.box.right, b.box.right) - Math.max(a.box.left, b.box.left);
      const h = Math.min(a.box.bottom, b.box.bottom) - Math.max(a.box.top, b.box.top);
      if (w > slack && h > slack) problems.push('overlap: ' + name(a.element) + ' / ' + name(b.element));
    }
  }
  return problems;
}
"""
