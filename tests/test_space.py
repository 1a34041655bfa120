"""The outcome space and utilities."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offramp.problem import Space
from offramp.scenario import load_scenario_text
from offramp.settle.space import iter_blocks, utilities, utility_tables
from tests.conftest import MINI


def test_package_numbering_is_mixed_radix_first_issue_most_significant() -> None:
    space = Space(("a", "b", "c"), (("x", "y"), ("p", "q", "r"), ("u", "v")))
    assert space.size == 12
    assert space.package(0) == {"a": "x", "b": "p", "c": "u"}
    assert space.package(1) == {"a": "x", "b": "p", "c": "v"}
    assert space.package(11) == {"a": "y", "b": "r", "c": "v"}


def test_default_utility_formula_by_hand() -> None:
    scenario = load_scenario_text(MINI)
    tables = utility_tables(scenario)
    # Ukraine: land weight 1/1.5 at position keep (0); nato weight .5/1.5 at position 0.
    assert tables[0][0].tolist() == pytest.approx([2 / 3, 0.0])
    assert tables[1][0].tolist() == pytest.approx([1 / 3, 0.0])
    # Russia has no stance on nato: indifferent.
    assert tables[1][1].tolist() == [0.0, 0.0]


def test_batch_axis_of_utilities() -> None:
    tables = utility_tables(load_scenario_text(MINI))
    batch = [np.stack([t, 2 * t]) for t in tables]
    options = Space(("land", "nato"), (("keep", "cede"), ("member", "neutral"))).options_of(
        np.arange(4)
    )
    single = utilities(tables, options)
    both = utilities(batch, options)
    assert both.shape == (2, 2, 4)
    np.testing.assert_allclose(both[0], single)
    np.testing.assert_allclose(both[1], 2 * single)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=5), st.integers(1, 70), st.integers(0, 99))
def test_blocks_cover_every_package_once_with_the_right_utility(
    sizes: list[int], block_size: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    tables = [rng.random((3, k)) for k in sizes]
    space = Space(
        tuple(f"i{i}" for i in range(len(sizes))),
        tuple(tuple(f"o{j}" for j in range(k)) for k in sizes),
    )
    full = utilities(tables, space.options_of(np.arange(space.size)))
    seen = 0
    for start, block in iter_blocks(tables, block_size):
        assert start == seen
        np.testing.assert_array_equal(block, full[:, start : start + block.shape[-1]])
        seen += block.shape[-1]
    assert seen == space.size
