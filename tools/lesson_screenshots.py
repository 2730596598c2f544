"""Take the screenshots of docs/teaching.md from the real page, with each lesson's exact settings.

    .venv/bin/python tools/lesson_screenshots.py docs/img

Starts ``hedgesim-app`` on a free loopback port, drives the page in headless Chromium exactly as
the lesson plans tell a teacher to, and saves one PNG per moment the lessons point at. The
model is still being calibrated, so the pictures are retaken whenever its numbers change.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from classroom_browser import ClassroomPage, chromium, serving

NOTCH = 0.05  # the challenge sliders move in steps of 0.05
WIDTH, HEIGHT = 1280, 3800
"""A projector's width; tall enough that the page's main column (charts and log) fits whole."""


def _challenges(ui: ClassroomPage, trust: float = 0.5, tension: float = 0.3, vested: float = 0.5) -> None:
    """Set the three sliders from their defaults (0.5, 0.5, 0.3) by keyboard notches."""
    ui.slide("Trust", round((trust - 0.5) / NOTCH))
    ui.slide("Vested interests", round((vested - 0.5) / NOTCH))
    ui.slide("Tension", round((tension - 0.3) / NOTCH))


def lesson_hedging(ui: ClassroomPage, shot: Callable[[str], None]) -> None:
    """Lesson 1: one replicate, history as it came; pause after the 2010 crackdown and in 2016."""
    ui.type_into("Replicates (1 to 500)", "1")
    ui.reset(expect="1 replicates")
    ui.play_until("2011-06")
    shot("lesson1-2011-06")
    ui.play_until("2016-12")
    shot("lesson1-2016-12")


def lesson_trust(ui: ClassroomPage, shot: Callable[[str], None]) -> None:
    """Lesson 2: 50 replicates side by side, A at trust 0.10 and B at trust 0.90, to the end of 2019."""
    ui.type_into("Replicates (1 to 500)", "50")
    _challenges(ui, trust=0.1)
    ui.choose("Side by side", "the same shocks")
    ui.switch("B has challenges of its own")
    ui.slide("B: trust", round((0.9 - 0.1) / NOTCH))
    ui.reset(expect="B: trust 0.90")
    ui.play_until("2019-12")
    shot("lesson2-trust-0.1-vs-0.9")


def lesson_tension(ui: ClassroomPage, shot: Callable[[str], None]) -> None:
    """Lesson 3: with and without the 2014 war side by side, at tension 0.3 and then 0.7."""
    ui.type_into("Replicates (1 to 500)", "50")
    ui.choose("Side by side", "without the 2014 war")
    ui.reset(expect="B: without the 2014 war")
    ui.play_until("2019-12")
    shot("lesson3-tension-0.3")
    ui.slide("Tension", round((0.7 - 0.3) / NOTCH))
    ui.reset(expect="tension 0.70")
    ui.play_until("2019-12")
    shot("lesson3-tension-0.7")


LESSONS = (lesson_hedging, lesson_trust, lesson_tension)


def take(out: Path) -> list[Path]:
    """Run every lesson in a fresh page and save its screenshots (charts and log) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    with serving() as (url, _), tempfile.TemporaryDirectory() as profiles:
        for k, lesson in enumerate(LESSONS):
            with chromium(Path(profiles) / str(k), width=WIDTH, height=HEIGHT) as context:
                page = context.new_page()
                ui = ClassroomPage(page, timeout_ms=180_000)
                ui.open(url)

                def shot(name: str, page=page, ui=ui) -> None:
                    page.wait_for_timeout(800)
                    problems = ui.layout_problems()
                    if problems:
                        raise RuntimeError(f"{name}: the page's text is clipped or overlaps: {problems}")
                    path = out / f"{name}.png"
                    page.locator(".hedgesim-main").first.screenshot(path=path)
                    saved.append(path)

                lesson(ui, shot)
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/lesson_screenshots.py", description=__doc__)
    parser.add_argument("out", type=Path, help="folder for the PNG files (docs/img)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the server is stopped on SIGTERM too
    for path in take(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
