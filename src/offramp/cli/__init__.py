"""The ``offramp`` command line: a thin edge over the engines.

Every command loads its input through :mod:`offramp.scenario`, calls a pure
engine, and renders the typed result with rich. Errors an input can cause are
printed as ``FILE:LINE: field: message`` lines with exit status 1; no input
produces a Python traceback (set ``OFFRAMP_DEBUG=1`` to see one for a bug).

Each feature's commands live in their own module here and register on the one
:data:`app` when imported below.
"""

from __future__ import annotations

import os
from typing import Any

from offramp.cli import (
    backtest,  # noqa: F401  (registers backtest deu)
    core,  # noqa: F401  (registers commands)
    evaluate,  # noqa: F401  (registers evaluate)
    forecast,  # noqa: F401  (registers forecast)
    io,  # noqa: F401  (registers import, export and template)
    negotiate,  # noqa: F401  (registers negotiate and durability)
    report,  # noqa: F401  (registers report and serve)
    runs,  # noqa: F401  (registers runs list|show|compare|export)
    uncertainty,  # noqa: F401  (registers sweep and sensitivity)
)
from offramp.cli._app import app, err

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> Any:
    """Entry point of the ``offramp`` console script."""
    try:
        return app(args=argv, standalone_mode=True)
    except SystemExit:
        raise
    except Exception as error:  # the last guard: never show users a traceback
        if os.environ.get("OFFRAMP_DEBUG"):
            raise
        err.print(
            f"[bold red]internal error:[/] {type(error).__name__}: {error}\n"
            "This is a bug in offramp; please report it with the input that caused it "
            "(set OFFRAMP_DEBUG=1 to see the traceback).",
            highlight=False,
        )
        raise SystemExit(70) from None
