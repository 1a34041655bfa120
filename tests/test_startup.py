"""Start-up: ``offramp --help`` loads no engine (lazy imports), so it answers quickly.

A wall-clock bound would be flaky on a shared machine, so this checks the cause
instead: which heavy modules a fresh interpreter has imported after building the
whole command tree (``benchmarks/bench_startup.py`` measures the time).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

HEAVY = ("numpy", "scipy", "numba", "plotly", "duckdb", "dask", "fastapi", "pydantic", "pandas")


def test_help_imports_no_engine() -> None:
    code = (
        "import sys, json\n"
        "from offramp.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "100"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    *_, last = done.stdout.strip().splitlines()
    assert json.loads(last) == []
    assert "forecast" in done.stdout and "sweep" in done.stdout


def test_constants_spelled_in_the_cli_agree_with_their_homes() -> None:
    from offramp.cli.report import QUICK_SWEEP_DRAWS_DEFAULT
    from offramp.report.write import QUICK_SWEEP_DRAWS
    from offramp.uncertainty.distributed import ENV_SCHEDULER

    assert QUICK_SWEEP_DRAWS_DEFAULT == QUICK_SWEEP_DRAWS
    assert ENV_SCHEDULER == "OFFRAMP_DASK_SCHEDULER"  # as the --scheduler help names it


def test_lazy_package_attributes() -> None:
    import offramp

    assert offramp.analyze.__name__ == "analyze"
    assert offramp.__version__
    try:
        offramp.nonesuch  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as error:
        assert "nonesuch" in str(error)
    else:  # pragma: no cover
        raise AssertionError("no AttributeError")
