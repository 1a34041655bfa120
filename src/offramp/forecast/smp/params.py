"""SMP's parameters (KTAB's names and defaults), tolerances and array types."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from offramp.forecast._common import (
    ForecastInputError,
)

__all__ = ["DEFAULTS", "PARAMETERS", "BoolArray", "FloatArray", "IntArray"]


FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

PARAMETERS: Mapping[str, tuple[str, ...]] = {
    "victory_model": ("Linear", "Square", "Quartic", "Octic", "Binary"),
    "pce_model": ("Conditional", "MarkovIncentive", "MarkovUniform"),
    "transitions": ("Deterministic", "Stochastic"),
    "voting_rule": ("Binary", "PropBin", "Prop", "PropCbc", "Cubic", "ASymProsp"),
    "risk_adjust": ("None", "OneThird", "Half", "TwoThirds", "Full"),
    "risk_range": ("Min", "Mid", "Max"),
    "third_party": ("NoCommit", "SemiCommit", "FullCommit"),
    "interpolation": ("S1P1", "S2P2", "S2PMax"),
    "bargain_model": ("InitOnlyInterp", "InitRcvrInterp", "PWCompInterp"),
}
"""KTAB's nine SMP model parameters: option name -> allowed values (KTAB's names).

In KTAB's order (``SMPModel::updateModelParameters``); the defaults are
:data:`DEFAULTS`."""

DEFAULTS: Mapping[str, str] = {
    "victory_model": "Linear",
    "pce_model": "Conditional",
    "transitions": "Deterministic",
    "voting_rule": "Prop",
    "risk_adjust": "OneThird",
    "risk_range": "Mid",
    "third_party": "SemiCommit",
    "interpolation": "S2P2",
    "bargain_model": "InitOnlyInterp",
}

_MIN_COALITION = 1e-8  # KTAB Model::coalitions
_MIN_CONTEST = 1e-10  # KTAB SMPState::probEduChlg
_MIN_GAIN = 1e-5  # KTAB SMPState::bestChallenge
_MIN_STEP = 1e-4  # KTAB configExec minSigDelta (on [0, 1])
_BINARY_TOL = 1e-8  # KTAB Model::vote
_INTERP_MIN_W = 1e-6  # KTAB interpBrgnSnPm
_CHUNK = 16_384
"""Elements per (.., n, n, n) block of the numpy engine: 128 KiB per temporary.

Below the threshold (128 KiB by default) above which glibc's allocator maps
every allocation afresh from the system and unmaps it when freed, so each
block's temporaries are reused from the heap instead of being page-faulted
in again (KTAB's 80-actor sample: 0.64 s with 2 MiB blocks, 0.33 s).
"""


@dataclass(frozen=True)
class _Params:
    victory_model: str
    pce_model: str
    transitions: str
    voting_rule: str
    risk_adjust: str
    risk_range: str
    third_party: str
    interpolation: str
    bargain_model: str


def _choice(name: str, value: object) -> str:
    allowed = PARAMETERS[name]
    if isinstance(value, str):
        for a in allowed:
            if a.lower() == value.lower():
                return a
    raise ForecastInputError(
        f"{name} must be one of {', '.join(allowed)} (KTAB's names); got {value!r}"
    )
