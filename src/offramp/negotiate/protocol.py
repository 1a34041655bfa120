"""The stacked alternating-offers protocol over a batch of negotiations (the engine).

See :mod:`offramp.negotiate` for the protocol, the strategies and every
interpretive choice, with references.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from offramp.negotiate.results import Trace
from offramp.negotiate.strategies import (
    Strategy,
)

__all__ = ["Change", "Signing", "simulate"]


_OFFER, _ACCEPT, _REJECT, _UNRATIFIED = 1, 2, 3, 4
_TOL = 1e-12


@dataclass(frozen=True)
class Signing:
    """Ratification checked when a package is signed (every other actor has accepted it).

    Attributes
    ----------
    failure : ndarray of intp, shape (n,)
        -1 when the signed package would be ratified; otherwise the index of
        the first body (in vote order) that would reject it.
    rounds : ndarray of int64, shape (n,)
        How many times that body's route sends a failed text back to the
        table (0: the talks end).
    constraint : ndarray of bool, shape (F, n)
        For each body, the packages it would pass: after it rejects a
        signed text, the talks resume with this as an added constraint on
        every offer and acceptance (its objections are on the table).
    then : ndarray of intp, shape (n,), optional
        Which votes the renegotiated text faces after this package failed:
        ``j`` for ``after[j]`` of the first :class:`Signing` (the failed
        route's ``then``), -1 (and the default) for the same votes again.
    after : tuple of Signing
        The ratification of renegotiated texts, one per route with a
        ``then`` (only the first Signing's is read; theirs are empty).
    """

    failure: NDArray[np.intp]
    rounds: NDArray[np.int64]
    constraint: NDArray[np.bool_]
    then: NDArray[np.intp] | None = None
    after: tuple[Signing, ...] = ()

    def phase(
        self, phases: NDArray[np.intp], package: NDArray[np.int64]
    ) -> tuple[NDArray[np.intp], NDArray[np.int64], NDArray[np.intp], NDArray[np.intp]]:
        """The votes on signed packages, each under its run's phase (0: this Signing, j + 1:
        ``after[j]``): the failing body (-1: ratified), its rounds, the phase a renegotiated
        text enters, and the index of the Signing whose ``constraint`` applies.
        """
        signings = (self, *self.after)
        failure = np.full(len(package), -1, dtype=np.intp)
        rounds = np.zeros(len(package), dtype=np.int64)
        nxt = phases.copy()
        for p in np.unique(phases).tolist():
            here = phases == p
            sig, chosen = signings[p], package[here]
            failure[here] = sig.failure[chosen]
            rounds[here] = sig.rounds[chosen]
            if sig.then is not None:
                then = sig.then[chosen]
                nxt[here] = np.where(then >= 0, then + 1, p)
        return failure, rounds, nxt, phases.copy()


@dataclass(frozen=True)
class Change:
    """New inputs from the start of a round on (the events hook).

    Attributes
    ----------
    round : int
        0-based round at whose start the change applies.
    batna : ndarray of float64, shape (k,) or (B, k), optional
        The actors' new batnas.
    utility : ndarray of float64, shape (k, n) or (B, k, n), optional
        The actors' new utilities of every package.
    label : str
        What happened (for the record).
    lines : ndarray of bool, shape (k, n), optional
        New red-line masks (see ``simulate``'s ``lines``).
    signing : Signing, optional
        New ratification at signing (see :class:`Signing`).
    """

    round: int
    batna: NDArray[np.float64] | None = None
    utility: NDArray[np.float64] | None = None
    label: str = ""
    lines: NDArray[np.bool_] | None = None
    signing: Signing | None = None


def _batched(x: NDArray[np.float64], ndim: int, batch: int, what: str) -> NDArray[np.float64]:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == ndim - 1:
        x = x[None]
    if x.ndim != ndim or x.shape[0] not in (1, batch):
        raise ValueError(
            f"{what} has shape {x.shape}; expected a leading batch axis of 1 or {batch}"
        )
    return x


class _State:
    """Mutable per-batch state of :func:`simulate` (engine-private)."""

    def __init__(
        self,
        utility: NDArray[np.float64],
        batna: NDArray[np.float64],
        allowed: NDArray[np.bool_],
        batch: int,
    ) -> None:
        self.allowed = allowed  # (k, n): what each actor may offer or accept
        self.extra = np.ones((batch, allowed.shape[1]), dtype=bool)  # renegotiation constraints
        self.batch = batch
        self.set_inputs(utility, batna)

    def ok(self, rows: NDArray[np.intp], a: int) -> NDArray[np.bool_]:
        """What actor ``a`` may offer or accept in these runs, shape (len(rows), n)."""
        out: NDArray[np.bool_] = self.allowed[a][None, :] & self.extra[rows]
        return out

    def set_inputs(self, utility: NDArray[np.float64], batna: NDArray[np.float64]) -> None:
        self.utility = utility  # (Bu, k, n), Bu in {1, B}
        self.batna = np.broadcast_to(batna, (self.batch, batna.shape[-1])).copy()
        k = self.batna.shape[1]
        self.umax = np.full((self.batch, k), -np.inf)
        self.umin = np.full((self.batch, k), np.inf)  # worst allowed package
        self.refresh(np.arange(self.batch))

    def refresh(self, rows: NDArray[np.intp]) -> None:
        """Best and worst allowed utility of every actor in these runs (after new constraints)."""
        for a in range(self.batna.shape[1]):
            ua = self.utility[:, a, :] if self.utility.shape[0] == 1 else self.utility[rows, a, :]
            allowed = self.ok(rows, a)
            ok = allowed & (ua > self.batna[rows, a, None])  # (r, n)
            self.umax[rows, a] = np.where(ok, ua, -np.inf).max(axis=1)
            self.umin[rows, a] = np.where(allowed, ua, np.inf).min(axis=1)

    def u(self, rows: NDArray[np.intp]) -> NDArray[np.float64]:
        """Utilities for these runs (sorted, distinct rows), shape (len(rows) or 1, k, n)."""
        if self.utility.shape[0] == 1 or len(rows) == self.batch:
            return self.utility  # every run: no copy
        return self.utility[rows]

    def at(self, rows: NDArray[np.intp], package: NDArray[np.int64]) -> NDArray[np.float64]:
        """Every actor's utility of ``package[i]`` in run ``rows[i]``, shape (len(rows), k)."""
        index = rows if self.utility.shape[0] > 1 else np.zeros_like(rows)
        return self.utility[index, :, package]

    def others_gain(self, rows: NDArray[np.intp], a: int) -> NDArray[np.float64]:
        """Smallest gain over batna of the actors other than ``a``, shape (r, n)."""
        u = self.u(rows)
        k = u.shape[1]
        out = np.full((len(rows), u.shape[2]), np.inf)
        for b in range(k):
            if b != a:
                out = np.minimum(out, u[:, b, :] - self.batna[rows, b, None])
        if k == 1:
            out[:] = 0.0
        return out


def _pick(primary: NDArray[np.float64], secondary: NDArray[np.float64]) -> NDArray[np.intp]:
    """Row-wise argmax of ``primary`` (-inf: excluded); ties to ``secondary``, then first index."""
    best = primary.max(axis=1, keepdims=True)
    tied = primary >= best - _TOL * np.maximum(1.0, np.abs(best))
    return np.asarray(np.argmax(np.where(tied, secondary, -np.inf), axis=1), dtype=np.intp)


def _gather(values: NDArray[np.float64], index: NDArray[np.int64]) -> NDArray[np.float64]:
    """``values[r, index[r]]`` for values of shape (r or 1, n); nan where index < 0."""
    values = np.broadcast_to(values, (len(index), values.shape[-1]))
    out = values[np.arange(len(index)), np.maximum(index, 0)]
    return np.where(index >= 0, out, np.nan)


def simulate(
    utility: NDArray[np.float64],
    batna: NDArray[np.float64],
    strategies: Sequence[Strategy],
    deadline: int,
    *,
    cost: NDArray[np.float64] | None = None,
    allowed: NDArray[np.bool_] | None = None,
    order: NDArray[np.intp] | None = None,
    changes: Sequence[Change] = (),
    lines: NDArray[np.bool_] | None = None,
    signing: Signing | None = None,
) -> Trace:
    """Run a batch of stacked alternating-offers negotiations.

    Parameters
    ----------
    utility : ndarray of float64, shape (k, n) or (B, k, n)
        Utility of every package for each of the k negotiating actors.
    batna : ndarray of float64, shape (k,) or (B, k)
    strategies : sequence of Strategy, length k
    deadline : int
        Number of rounds (each actor moves once per round); at least 1.
    cost : ndarray of float64, shape (k,) or (B, k), optional
        Utility each actor loses per round without agreement (default 0).
    allowed : ndarray of bool, shape (n,), optional
        Packages that may be agreed (e.g. those every public ratifies);
        default all.
    order : ndarray of intp, shape (k,) or (B, k), optional
        Turn order (a permutation of the actors); default ``0 .. k-1``.
    changes : sequence of Change
        New inputs at the start of given rounds (see :class:`Change`).
    lines : ndarray of bool, shape (k, n), optional
        The packages each actor may offer or accept at all: those that cross
        none of its red lines (:mod:`offramp.settle.redlines`); default all.
    signing : Signing, optional
        Check ratification when a package is signed instead of restricting
        offers to ``allowed``: a signed package that fails goes back to the
        table with the rejecting body's objections as a constraint (the new
        text then faces the votes of the failed route's ``then``,
        :attr:`Signing.after`), or ends the talks (see :class:`Signing`); its
        last acceptance is recorded as ``unratified``.

    Returns
    -------
    Trace

    Examples
    --------
    Two actors, three packages; each prefers its own end, both accept the
    middle. Linear concession with a three-round deadline: each holds out
    for its best package in rounds 0 and 1 (its target, 1 then 0.65, is above
    the middle's 0.6); in round 2 actor 0's target is its batna and it offers
    the middle, which actor 1 accepts:

    >>> u = np.array([[1.0, 0.6, 0.0], [0.0, 0.6, 1.0]])
    >>> from offramp.negotiate import ACTIONS, parse_strategy
    >>> linear = parse_strategy("linear")
    >>> t = simulate(u, np.array([0.3, 0.3]), [linear, linear], deadline=3)
    >>> int(t.agreement[0]), int(t.round[0])
    (1, 2)
    >>> [ACTIONS[c - 1] for c in t.action[0] if c]
    ['offer', 'offer', 'offer', 'offer', 'offer', 'accept']
    """
    u0 = np.asarray(utility, dtype=np.float64)
    batch = max(
        u0.shape[0] if u0.ndim == 3 else 1,
        np.asarray(batna).shape[0] if np.asarray(batna).ndim == 2 else 1,
        np.asarray(order).shape[0] if order is not None and np.asarray(order).ndim == 2 else 1,
        np.asarray(cost).shape[0] if cost is not None and np.asarray(cost).ndim == 2 else 1,
    )
    u0 = _batched(u0, 3, batch, "utility")
    k, n = u0.shape[1:]
    if len(strategies) != k:
        raise ValueError(f"{len(strategies)} strategies for {k} actors")
    if deadline < 1:
        raise ValueError(f"the deadline must be at least 1 round; got {deadline}")
    b0 = _batched(np.asarray(batna), 2, batch, "batna")
    delay = np.broadcast_to(
        _batched(np.zeros(k) if cost is None else np.asarray(cost), 2, batch, "cost"), (batch, k)
    )
    mask = np.ones(n, dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool)
    turn = np.broadcast_to(
        np.arange(k) if order is None else np.asarray(order, dtype=np.intp), (batch, k)
    )
    per_actor = np.ones((k, n), dtype=bool) if lines is None else np.asarray(lines, dtype=bool)
    if signing is None:
        per_actor = per_actor & mask[None, :]
    state = _State(u0, b0, per_actor, batch)
    used = None if signing is None else np.zeros((batch, len(signing.constraint)), dtype=np.int64)
    phase = np.zeros(batch, dtype=np.intp)  # which votes a signed text faces (Signing.phase)

    slots = deadline * k
    rec_actor = np.full((batch, slots), -1, dtype=np.int64)
    rec_action = np.zeros((batch, slots), dtype=np.int8)
    rec_package = np.full((batch, slots), -1, dtype=np.int64)
    live = np.ones(batch, dtype=bool)
    agreement = np.full(batch, -1, dtype=np.int64)
    agreed_round = np.full(batch, -1, dtype=np.int64)
    agreed_utility = np.full((batch, k), np.nan)
    current = np.full(batch, -1, dtype=np.int64)
    offerer = np.full(batch, -1, dtype=np.int64)
    accepts = np.zeros(batch, dtype=np.int64)
    last_offer = np.full((batch, k), -1, dtype=np.int64)
    # first_from[r, a, b] / best_from[r, a, b]: a's utility of b's first / best offer
    first_from = np.full((batch, k, k), np.nan)
    best_from = np.full((batch, k, k), np.nan)
    pending = sorted(changes, key=lambda c: c.round)

    def agree(rows: NDArray[np.intp], package: NDArray[np.int64], r: int, slot: int) -> None:
        if signing is not None and used is not None:
            body, rounds, nxt, where = signing.phase(phase[rows], package)
            failed = body >= 0
            if failed.any():
                lost, f = rows[failed], body[failed]
                rec_action[lost, slot] = _UNRATIFIED
                again = used[lost, f] < rounds[failed]
                back, end = lost[again], lost[~again]
                live[end] = False
                if back.size:
                    used[back, f[again]] += 1
                    signings = (signing, *signing.after)
                    for b, fb, w in zip(back, f[again], where[failed][again], strict=True):
                        state.extra[b] &= signings[w].constraint[fb]
                    phase[back] = nxt[failed][again]  # the route's `then`, if it names one
                    state.refresh(back)
                    current[back] = -1
                    offerer[back] = -1
                    accepts[back] = 0
                rows, package = rows[~failed], package[~failed]
        live[rows] = False
        agreement[rows] = package
        agreed_round[rows] = r
        agreed_utility[rows] = state.at(rows, package)

    for r in range(deadline):
        for change in (c for c in pending if c.round == r):
            new_u = (
                state.utility
                if change.utility is None
                else _batched(change.utility, 3, batch, "change.utility")
            )
            new_b = (
                state.batna if change.batna is None else _batched(change.batna, 2, batch, "batna")
            )
            if change.lines is not None:
                lines_now = np.asarray(change.lines, dtype=bool)
                state.allowed = lines_now if signing is not None else lines_now & mask[None, :]
            if change.signing is not None and signing is not None:
                signing = change.signing
            state.set_inputs(new_u, np.broadcast_to(new_b, (batch, k)))
            current[:] = -1
            offerer[:] = -1
            accepts[:] = 0
        span = max(deadline - 1, 1)
        t_now = r / span if deadline > 1 else 1.0
        t_next = min(1.0, (r + 1) / span)
        last_round = r == deadline - 1
        for j in range(k):
            slot = r * k + j
            for a in range(k):
                rows = np.flatnonzero(live & (turn[:, j] == a))
                if rows.size == 0:
                    continue
                strategy = strategies[a]
                u = state.u(rows)
                ua = u[:, a, :]
                bat = state.batna[rows, a]
                umax = state.umax[rows, a]
                rec_actor[rows, slot] = a
                # walk away: nothing it could sign beats its batna
                hopeless = ~np.isfinite(umax)
                if hopeless.any():
                    gone = rows[hopeless]
                    rec_action[gone, slot] = _REJECT
                    rec_package[gone, slot] = current[gone]
                    live[gone] = False
                    keep = ~hopeless
                    rows, bat, umax = rows[keep], bat[keep], umax[keep]
                    u = state.u(rows)
                    ua = u[:, a, :]
                    if rows.size == 0:
                        continue
                own_ok = state.ok(rows, a) & (ua > bat[:, None])
                needs_gain = strategy.kind == "best_acceptable" or strategy.offer != "closest_above"
                gain = state.others_gain(rows, a) if needs_gain else own_ok  # own_ok: unused
                planned: NDArray[np.intp] | None = None
                if strategy.kind == "time":
                    floor = bat if strategy.floor == "batna" else np.fmax(bat, state.umin[rows, a])
                    target, target_next = strategy.targets(umax, floor, r, deadline, t_now, t_next)
                elif strategy.kind == "tit_for_tat":
                    given = np.nan_to_num(best_from[rows, a, :] - first_from[rows, a, :], nan=0.0)
                    given = np.delete(np.maximum(given, 0.0), a, axis=1)
                    conceded = given.mean(axis=1) if k > 1 else np.zeros(len(rows))
                    target = np.clip(umax - conceded, bat, umax)
                    target_next = target
                else:
                    expect = own_ok.copy()
                    for b in range(k):
                        if b == a:
                            continue
                        ub = np.broadcast_to(u[:, b, :], own_ok.shape)
                        bb = state.batna[rows, b]
                        umax_b = state.umax[rows, b]
                        finite = np.isfinite(umax_b)
                        linear = np.where(
                            finite, np.where(finite, umax_b, 0.0) - t_next * (umax_b - bb), np.inf
                        )
                        said = _gather(ub, last_offer[rows, b])
                        threshold = np.fmin(np.where(np.isnan(said), np.inf, said), linear)
                        expect &= (ub >= threshold[:, None] - _TOL) & (ub > bb[:, None])
                    none = ~expect.any(axis=1)
                    expect[none] = own_ok[none]
                    own = np.broadcast_to(ua, own_ok.shape)
                    planned = _pick(np.where(expect, own, -np.inf), gain)
                    target = _gather(own, planned.astype(np.int64))
                    target_next = target

                # respond to the offer on the table
                table = current[rows]
                u_table = _gather(ua, table)
                acceptable = (
                    (table >= 0)
                    & (offerer[rows] != a)
                    & state.ok(rows, a)[np.arange(len(rows)), np.maximum(table, 0)]
                    & (u_table > bat)
                    & (
                        (u_table >= target - delay[rows, a] - _TOL)
                        if strategy.accept == "now"
                        else ((u_table >= target_next - delay[rows, a] - _TOL) | last_round)
                    )
                )
                yes = rows[acceptable]
                if yes.size:
                    rec_action[yes, slot] = _ACCEPT
                    rec_package[yes, slot] = current[yes]
                    accepts[yes] += 1
                    done = yes[accepts[yes] >= k - 1]
                    if done.size:
                        agree(done, current[done], r, slot)

                # counter-offer
                sel = ~acceptable
                if not sel.any():
                    continue
                who = rows[sel]
                if planned is not None:
                    choice = planned[sel]
                else:
                    own = np.broadcast_to(ua, own_ok.shape)[sel]
                    candidates = own_ok[sel] & (own >= target[sel, None] - _TOL)
                    if strategy.offer == "closest_above":  # lowest own utility; ties: first
                        choice = np.argmin(np.where(candidates, own, np.inf), axis=1)
                    else:
                        choice = _pick(np.where(candidates, gain[sel], -np.inf), own)
                choice64 = choice.astype(np.int64)
                rec_action[who, slot] = _OFFER
                rec_package[who, slot] = choice64
                current[who] = choice64
                offerer[who] = a
                accepts[who] = 0
                last_offer[who, a] = choice64
                offered = state.at(who, choice64)  # (w, k)
                fresh = np.isnan(first_from[who, 0, a])
                first_from[who[fresh], :, a] = offered[fresh]
                best_from[who, :, a] = np.fmax(best_from[who, :, a], offered)
                if k == 1:
                    agree(who, choice64, r, slot)

    return Trace(
        agreement=agreement,
        round=agreed_round,
        actor=rec_actor,
        action=rec_action,
        package=rec_package,
        utility=agreed_utility,
        batna=state.batna.copy(),
    )


# ---------------------------------------------------------------- scenario level
