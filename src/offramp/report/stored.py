"""Reports from the run store: ``offramp report RUN_ID`` and stored results for a scenario.

The run store (:mod:`offramp.store`) keeps, for every analyze, sweep and
sensitivity run, the scenario's text (since this version), its content hash,
the run's summary JSON and, for sweeps, the per-draw table. A report for a run
rebuilds the scenario from the stored text, recomputes the base-case
settlement analysis (deterministic: the same scenario and version give the
same result, and the report says so when the stored verdict differs), and
shows the stored sweep and sensitivity results; a report for a scenario file
shows the newest stored sweep and sensitivity runs whose scenario hash equals
the file's.

Runs recorded before the store kept scenario text are rebuilt from their
``source`` file when it still exists with the same content hash; otherwise
the report refuses with a message saying so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from offramp.assess import analyze
from offramp.problem import compile_problem
from offramp.report.model import Report, StoredResults
from offramp.scenario import load_scenario_text
from offramp.scenario.load import content_hash
from offramp.scenario.schema import Scenario
from offramp.store import RunStore, StoreError

__all__ = ["report_for_run", "scenario_of_run", "stored_results"]

_KINDS = ("analyze", "sweep", "sensitivity")


def _origin(kind: str, run: dict[str, Any]) -> str:
    when = run.get("started")
    stamp = f"{when:%Y-%m-%d %H:%M}" if hasattr(when, "strftime") else str(when or "")
    return f"stored {kind} run {run['id']} of {stamp}"


def stored_results(
    store: RunStore,
    scenario_hash: str,
    *,
    sweep_run: str | None = None,
    sensitivity_run: str | None = None,
) -> StoredResults:
    """The sweep and sensitivity results a report shows, from an open run store.

    Parameters
    ----------
    store : RunStore
    scenario_hash : str
        Runs on other scenarios (or other versions of the file) are ignored.
    sweep_run, sensitivity_run : str, optional
        Use these runs; default the newest complete run of each kind on the scenario.

    Returns
    -------
    StoredResults
    """
    sweep_id = sweep_run or store.latest("sweep", scenario_hash)
    sens_id = sensitivity_run or store.latest("sensitivity", scenario_hash)
    sweep: dict[str, Any] | None = None
    paths: tuple[dict[str, Any], ...] = ()
    sweep_origin = sens_origin = ""
    if sweep_id is not None:
        run = store.get(sweep_id)
        sweep = run.get("summary")
        paths = tuple(store.branch_paths(run["id"]))
        sweep_origin = _origin("sweep", run)
    sensitivity: dict[str, Any] | None = None
    if sens_id is not None:
        run = store.get(sens_id)
        sensitivity = run.get("summary")
        sens_origin = _origin("sensitivity", run)
    return StoredResults(
        sweep=sweep,
        sweep_origin=sweep_origin,
        paths=paths,
        sensitivity=sensitivity,
        sensitivity_origin=sens_origin,
    )


def scenario_of_run(run: dict[str, Any]) -> Scenario:
    """The scenario a stored run ran on, from its stored text (or its unchanged source file).

    Raises
    ------
    StoreError
        When the run has no stored text and its source file is gone or changed.
    InputError
        When the stored text no longer validates (e.g. after a format change).
    """
    source = run.get("source") or f"run {run['id']}"
    name = Path(source).name
    text = run.get("scenario_text")
    if text:
        return load_scenario_text(text, name)
    path = Path(source)
    if path.is_file():
        scenario = load_scenario_text(path.read_text(encoding="utf-8"), str(path))
        if content_hash(scenario) == run.get("scenario_hash"):
            return scenario
        raise StoreError(
            f"run {run['id']} was recorded before the run store kept scenario text, and its "
            f"source {source} has changed since (its content hash differs); report on the file "
            "instead, or re-run the sweep or analysis"
        )
    raise StoreError(
        f"run {run['id']} was recorded before the run store kept scenario text, and its "
        f"source {source} is gone; re-run it to record the scenario with it"
    )


def report_for_run(
    store: RunStore, run_id: str, *, axes: tuple[str, str] | None = None
) -> tuple[Report, Scenario]:
    """The report of a stored run (an id or a unique prefix).

    An ``analyze`` run shows the newest stored sweep and sensitivity on the
    same scenario; a ``sweep`` or ``sensitivity`` run shows itself (and the
    newest stored run of the other kind).

    Raises
    ------
    StoreError
        For an unknown or ambiguous id, an unfinished run, a kind the report
        cannot show, or a run whose scenario cannot be recovered.
    """
    run = store.get(run_id)
    kind = str(run["kind"])
    if kind not in _KINDS:
        raise StoreError(
            f"run {run['id']} is a {kind} run; reports are built from analyze, sweep and "
            "sensitivity runs"
        )
    if run["status"] != "complete" or not run.get("summary"):
        raise StoreError(
            f"run {run['id']} is {run['status']}: it has no summary to report; its committed "
            f"draws can still be exported with `offramp runs export {run['id']}`"
        )
    scenario = scenario_of_run(run)
    problem = compile_problem(scenario)
    analysis = analyze(problem)
    results = stored_results(
        store,
        str(run["scenario_hash"]),
        sweep_run=run["id"] if kind == "sweep" else None,
        sensitivity_run=run["id"] if kind == "sensitivity" else None,
    )
    origin = f"Built from the {_origin(kind, run)} (offramp {run.get('offramp_version')})"
    if analysis.scenario_hash != run["scenario_hash"]:
        origin += (
            "; note: this version hashes the scenario differently from the one that recorded "
            "the run"
        )
    if kind == "analyze" and run["summary"].get("verdict") not in (None, analysis.verdict):
        origin += (
            f"; note: the stored verdict was “{run['summary']['verdict']}”, this version finds "
            "the one shown"
        )
    from offramp.report.write import report_for

    report = report_for(problem, analysis, axes=axes, stored=results, origin=origin + ".")
    return report, scenario
