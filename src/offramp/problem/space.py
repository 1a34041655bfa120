"""The packages of a scenario: one option per issue, and their indices.

A package picks one option per issue; the space is their Cartesian product,
numbered in mixed radix with the first issue most significant (package 0 is
every issue's first option). This index map is shared by every engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from math import prod

import numpy as np
from numpy.typing import NDArray

from offramp.errors import PackageError
from offramp.scenario.schema import Scenario

__all__ = ["Space"]


@dataclass(frozen=True)
class Space:
    """The packages of a scenario: one option per issue.

    Examples
    --------
    >>> space = Space(("a", "b"), (("x", "y"), ("p", "q", "r")))
    >>> space.size, space.package(4)
    (6, {'a': 'y', 'b': 'q'})
    >>> space.options_of(np.array([0, 5])).tolist()
    [[0, 0], [1, 2]]
    """

    issue_ids: tuple[str, ...]
    option_ids: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, scenario: Scenario) -> Space:
        """The space of a scenario's issues."""
        return cls(
            tuple(issue.id for issue in scenario.issues),
            tuple(tuple(o.id for o in issue.options) for issue in scenario.issues),
        )

    @property
    def sizes(self) -> tuple[int, ...]:
        """Number of options of each issue."""
        return tuple(len(options) for options in self.option_ids)

    @property
    def size(self) -> int:
        """Number of packages (an exact Python int, however large)."""
        return prod(self.sizes)

    def options_of(self, index: NDArray[np.int64]) -> NDArray[np.intp]:
        """Option index of every issue for package indices, shape (n,) -> (n, n_issues)."""
        return np.stack(np.unravel_index(np.asarray(index, dtype=np.int64), self.sizes), axis=1)

    def index_of(self, package: Mapping[str, str]) -> NDArray[np.intp]:
        """Option index of every issue of a package given as ``{issue id: option id}``.

        Issues the space does not have are ignored.

        Parameters
        ----------
        package : Mapping[str, str]
            An option id for every issue.

        Returns
        -------
        ndarray of intp, shape (n_issues,)

        Raises
        ------
        PackageError
            If the package misses an issue or names an option the issue does
            not have; the message names the issue and lists its options.

        Examples
        --------
        >>> space = Space(("a", "b"), (("x", "y"), ("p", "q", "r")))
        >>> space.index_of({"a": "y", "b": "q"}).tolist()
        [1, 1]
        >>> space.index_of({"a": "z"})
        Traceback (most recent call last):
        ...
        offramp.errors.PackageError: the package needs one of x, y for issue `a`; got 'z'
        """
        options = []
        for issue, ids in zip(self.issue_ids, self.option_ids, strict=True):
            chosen = package.get(issue)
            if chosen not in ids:
                raise PackageError(
                    f"the package needs one of {', '.join(ids)} for issue `{issue}`; got {chosen!r}"
                )
            options.append(ids.index(chosen))
        return np.array(options, dtype=np.intp)

    def package(self, index: int) -> dict[str, str]:
        """A package index as ``{issue id: option id}``."""
        options = np.unravel_index(int(index), self.sizes)
        return {
            i: o[int(k)] for i, o, k in zip(self.issue_ids, self.option_ids, options, strict=True)
        }
