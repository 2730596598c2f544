"""The console scripts: each loads its command's module, then runs its ``main``.

Loading a command's module takes a second or two (pandas, pyarrow, Hydra, the engine). A Ctrl-C
in that time would print Python's traceback, since the command's own handling
(:mod:`hedgesim.workflows.interrupt`) is not yet in place, or worse: raised inside a compiled
module's initialisation it becomes an ImportError. So a Ctrl-C while loading is noted, the
loading ends, and the command stops with the same one line and exit status 130 as anywhere
later. Nothing has been written by then. A Ctrl-C that reaches the script from ``main`` (while
it reads its arguments, before its own handling starts) ends it the same way.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

from hedgesim.workflows.interrupt import EXIT_INTERRUPTED, held

COMMANDS = {
    "hedgesim": "hedgesim.cli",
    "hedgesim-aggregate": "hedgesim.workflows.sweep.command",
    "hedgesim-sensitivity": "hedgesim.workflows.sensitivity_command",
    "hedgesim-calibrate": "hedgesim.workflows.calibration.command",
    "hedgesim-reproduce": "hedgesim.workflows.reproduction",
    "hedgesim-validate": "hedgesim.workflows.validation.command",
}
"""Each console script's command: the module whose ``main`` it runs."""


def _command(prog: str) -> Callable[[], None]:
    module = COMMANDS[prog]

    def run() -> None:
        main = _loaded(prog, module)
        try:
            code = main()
        except KeyboardInterrupt:  # before the command's own handling is in place (its arguments)
            print(f"{prog}: interrupted", file=sys.stderr)
            raise SystemExit(EXIT_INTERRUPTED) from None
        sys.exit(code)

    run.__doc__ = f"``{prog}``: :func:`{module}.main`."
    return run


hedgesim = _command("hedgesim")
aggregate = _command("hedgesim-aggregate")
sensitivity = _command("hedgesim-sensitivity")
calibrate = _command("hedgesim-calibrate")
reproduce = _command("hedgesim-reproduce")
validate = _command("hedgesim-validate")


def _loaded(prog: str, module: str) -> Callable[[], int | None]:
    """The module's ``main``, loaded with Ctrl-C held until the loading ends; exit 130 after."""
    with held() as ctrl_c:
        main = importlib.import_module(module).main
    if ctrl_c:
        print(f"{prog}: interrupted; nothing was written", file=sys.stderr)
        raise SystemExit(EXIT_INTERRUPTED)
    return main
