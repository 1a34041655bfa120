"""Scoring forecasts against real outcomes: the DEU III backtest.

Engines only: pure functions over arrays (reading DEU files is
:mod:`offramp.io.deu`'s job, printing the CLI's).

========================= ====================================================
module                    what
========================= ====================================================
``capability``            Council votes by treaty regime, GDP or equal (cited)
``models``                the DEU issues as arrays; every published model, batched
``anchored``              the frozen procedure-aware, status-quo-anchored model
``scoring``               MAE, RMSE, median AE; paired bootstrap by proposal
``intervals``             80% normalized split-conformal intervals; CV folds
``deu``                   :func:`backtest_deu`, the whole backtest and its JSON
========================= ====================================================
"""

from __future__ import annotations

from offramp.backtest.deu import MODEL_NAMES, DeuBacktest, IssueResult, ModelResult, backtest_deu
from offramp.backtest.models import DeuProblem, deu_problem

__all__ = [
    "MODEL_NAMES",
    "DeuBacktest",
    "DeuProblem",
    "IssueResult",
    "ModelResult",
    "backtest_deu",
    "deu_problem",
]
