"""KTAB's Spatial Model of Politics scenario files (CSV and XML).

KTAB (KAPSARC Toolkit for Behavioral Analysis, MIT licence) reads SMP
scenarios in two formats, described here from KTAB's readers
(``examples/smp/libsrc/smpread.cpp``) and sample files:

CSV
    Row 1: ``<name>,<description>,<number of actors>,<number of dimensions>``;
    row 2: a header ``Actor,Description,<Power>,<Dim1>,<Sal1>,<Dim2>,<Sal2>,...``
    whose position columns name the dimensions; then one row per actor:
    ``<name>,<description>,<capability>,<position>,<salience>,...``.
    Positions and saliences are on 0--100; an actor's saliences sum to at
    most 100.  A trailing comma is allowed.
XML
    ``<Scenario>`` with ``<name>``, ``<desc>``, ``<prngSeed>``, optional
    ``<ModelParameters>`` (KTAB's nine SMP parameters by name),
    ``<Dimensions><dName>...``, ``<Actors><Actor>`` each with ``<name>``,
    ``<description>``, ``<capability>``, ``<Position><dCoord>...`` and
    ``<Salience><dSal>...``, and an optional ``<IdealAdjustment>`` of
    ``<iaPair>`` (``adjustingIdeal``, ``referencePos``, ``adjust``) entries of
    the accommodation matrix (identity elsewhere on the diagonal, 0 off it).

Every problem is reported as an :class:`~offramp.errors.InputError` naming the
file, the line and the field, including an actor listed twice (with both
lines).  :func:`load_ktab_csv` hands the arrays to
:func:`offramp.forecast.smp.smp`; :func:`to_scenario` converts a KTAB file to
an offramp scenario (``offramp import ktab FILE``).

References
----------
.. [1] KAPSARC, KTAB source code and sample data, MIT licence,
   https://github.com/KAPSARC/KTAB (``examples/smp/libsrc/smpread.cpp``,
   ``examples/smp/doc/smpSchema.xsd``).

Examples
--------
>>> import tempfile, pathlib
>>> text = "Demo,Three actors,3,1,\\nActor,Description,Power,Tax,Sal,\\n"
>>> text += "A,first,100,10,50,\\nB,second,50,60,80,\\nC,third,80,90,40,\\n"
>>> with tempfile.TemporaryDirectory() as d:
...     p = pathlib.Path(d) / "demo.csv"
...     _ = p.write_text(text)
...     names, dims, cap, pos, sal = load_ktab_csv(p)
>>> names, dims, pos[:, 0].tolist(), sal[:, 0].tolist()
(('A', 'B', 'C'), ('Tax',), [10.0, 60.0, 90.0], [0.5, 0.8, 0.4])
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from offramp.errors import Diagnostic, InputError
from offramp.io import Format, Imported, register
from offramp.io._ktab_read import FloatArray, KtabScenario, _read_csv, _read_xml
from offramp.scenario.schema import Scenario

__all__ = ["KtabScenario", "load_ktab_csv", "read_ktab", "to_scenario"]


# ---------------------------------------------------------------------------
# public API


def read_ktab(path: str | Path) -> KtabScenario:
    """Read a KTAB SMP scenario, CSV or XML by its extension.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` or ``.xml`` file.

    Returns
    -------
    KtabScenario

    Raises
    ------
    InputError
        Listing every problem with file, line and field.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".csv":
        return _read_csv(p)
    if suffix == ".xml":
        return _read_xml(p)
    raise InputError(
        [
            Diagnostic(
                str(path), None, "", "a KTAB scenario must be a .csv or .xml file (KTAB's formats)"
            )
        ]
    )


def load_ktab_csv(
    path: str | Path,
) -> tuple[tuple[str, ...], tuple[str, ...], FloatArray, FloatArray, FloatArray]:
    """Arrays for :func:`offramp.forecast.smp.smp` from a KTAB scenario file.

    Parameters
    ----------
    path : str or Path
        KTAB CSV (or XML) scenario.

    Returns
    -------
    names : tuple of str
        Actor names.
    dimensions : tuple of str
        Dimension names.
    capability : ndarray, shape (n,)
    positions : ndarray, shape (n, m)
        On 0--100.
    salience : ndarray, shape (n, m)
        Fractions of attention (the file's percentages divided by 100).

    Raises
    ------
    InputError
        On any malformed input.
    """
    k = read_ktab(path)
    return k.actors, k.dimensions, k.capability.copy(), k.positions.copy(), k.salience / 100.0


_ID_BAD = re.compile(r"[^A-Za-z0-9_\-]+")


def _make_id(text: str, prefix: str, taken: set[str]) -> str:
    base = _ID_BAD.sub("_", text.strip()).strip("_")[:60] or prefix
    if not re.match(r"[A-Za-z_]", base):
        base = f"{prefix}_{base}"
    out, k = base, 2
    while out in taken:
        out, k = f"{base}_{k}", k + 1
    taken.add(out)
    return out


def to_scenario(k: KtabScenario) -> Imported:
    """Convert a KTAB scenario to an offramp scenario.

    Each KTAB dimension becomes an issue with options at 0, 25, 50, 75 and 100
    (KTAB's dimensions are continuous; actors keep their exact positions as
    numbers); capability becomes ``power``; saliences become stance
    saliences.  What offramp has no field for (accommodation matrix, model
    parameters, seed, the salience total below 100) is reported as a warning.

    Raises
    ------
    InputError
        If the converted scenario is invalid.
    """
    file = k.file
    warnings: list[Diagnostic] = []
    taken: set[str] = set()
    issue_ids = [_make_id(d, "dim", taken) for d in k.dimensions]
    issues = [
        {
            "id": iid,
            "label": dim or iid,
            "options": [
                {"id": f"at_{v}", "label": f"{v} on KTAB's 0-100 scale", "at": v}
                for v in (0, 25, 50, 75, 100)
            ],
        }
        for iid, dim in zip(issue_ids, k.dimensions, strict=True)
    ]
    warnings.append(
        Diagnostic(
            file,
            None,
            "issues",
            "KTAB dimensions are continuous: each became an issue with options at 0, 25, 50, 75 "
            "and 100; actors keep their exact positions",
        )
    )
    actors: list[dict[str, Any]] = []
    for i, name in enumerate(k.actors):
        aid = _make_id(name, "actor", taken)
        actors.append(
            {
                "id": aid,
                "label": name,
                **({"description": k.descriptions[i]} if k.descriptions[i] else {}),
                "power": float(k.capability[i]),
                "veto": True,
                "batna": 0.0,
                "source": "ktab_file",
                "assumed": "KTAB has no veto or fallback: every actor must consent, and any "
                "settlement beats none (batna 0)",
                "stances": [
                    {
                        "issue": issue_ids[d],
                        "position": float(k.positions[i, d]),
                        "salience": float(k.salience[i, d]) / 100.0,
                        "source": "ktab_file",
                    }
                    for d in range(len(k.dimensions))
                ],
            }
        )
    short = [name for i, name in enumerate(k.actors) if k.salience[i].sum() < 100 - 1e-9]
    if short:
        warnings.append(
            Diagnostic(
                file,
                None,
                "actors",
                f"the saliences of {len(short)} actor(s) ({', '.join(short[:5])}"
                f"{', ...' if len(short) > 5 else ''}) sum to less than 100% in KTAB; offramp "
                "normalizes an actor's saliences to sum to 1, so the unattended share is dropped",
            )
        )
    warnings.append(
        Diagnostic(
            file,
            None,
            "actors",
            "KTAB has no veto or fallback: every actor was marked `veto: true` with `batna: 0`; "
            "edit them before analyzing the settlement space",
        )
    )
    if k.accommodation is not None and not np.allclose(k.accommodation, np.eye(len(k.actors))):
        warnings.append(
            Diagnostic(
                file,
                None,
                "IdealAdjustment",
                "the accommodation matrix has no offramp field; dropped "
                "(pass it to `smp(..., accommodation=)`)",
            )
        )
    if k.parameters:
        warnings.append(
            Diagnostic(
                file,
                None,
                "ModelParameters",
                "model parameters have no scenario field; dropped (pass them to `smp`)",
            )
        )
    path = Path(file)
    try:
        as_of = dt.date.fromtimestamp(path.stat().st_mtime)
    except OSError:
        as_of = dt.date(1970, 1, 1)
    warnings.append(
        Diagnostic(
            file,
            None,
            "as_of",
            f"KTAB files carry no date; set to the file's modification date {as_of}",
        )
    )
    sid = _make_id(k.name or path.stem, "ktab", set())
    data = {
        "id": sid,
        "title": k.name or path.stem,
        "as_of": as_of,
        "description": (k.description + "\n" if k.description else "")
        + f"Imported from the KTAB file {path.name}.",
        "sources": [{"id": "ktab_file", "title": f"KTAB scenario file {path.name}"}],
        "issues": issues,
        "actors": actors,
    }
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise InputError(
            [Diagnostic(file, None, ".".join(map(str, e["loc"])), e["msg"]) for e in err.errors()]
        ) from err
    return Imported(scenario, tuple(warnings))


def _read_format(paths: Sequence[Path]) -> Imported:
    if len(paths) != 1:
        raise InputError(
            [
                Diagnostic(
                    ", ".join(map(str, paths)) or "<none>",
                    None,
                    "",
                    "give exactly one KTAB .csv or .xml file",
                )
            ]
        )
    return to_scenario(read_ktab(paths[0]))


register(
    Format(
        "ktab",
        "KTAB Spatial Model of Politics scenario (.csv or .xml)",
        read=_read_format,
    )
)
