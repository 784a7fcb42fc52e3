"""Separation in the multinomial model, diagnosed per pair of classes.

The multinomial log-likelihood runs off to its supremum along a direction
``D = (d_1, ..., d_{K-1})`` (``d_0 = 0`` for the base) when no row loses along
it: ``x_i' (d_{y_i} - d_l) >= 0`` for every row ``i`` and class ``l``, strictly
somewhere. Then for the pair ``(y_i, l)`` of such a strict row, the rows of
those two classes alone are separated by the contrast ``d_l - d_{y_i}``: so
separation of the multinomial model shows up as separation of some pair of
classes, each a binary problem that
:func:`newtonlogit.families.binary.separation.separation_of`
decides exactly (Konis's linear program). The diagnosis names, per separated
pair ``(a, b)``, the coefficients of the log-odds of ``b`` against ``a`` that
run off to infinity.

The check runs on suspicion only, as in the binary fit: when Newton-Raphson
converges at a linear rate (the log-likelihood creeping up as ``1 - exp(-t)``
along a direction of separation) or fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ...data.design import Design
from ..binary.separation import (
    TOLERANCE,
    Separation,
    _linear_rate,
    recession_sides,
    separation_of,
)

# The most pairs of classes checked one by one (a linear program each, a few
# milliseconds on small pairs): 32 classes. With more, a fit that shows the
# pattern of separation is reported as "suspected", unchecked.
MAX_PAIRS = 500

# Pairs, and coefficients of a pair, named in a message or note; the rest are
# counted (all of them are in ``res.separation``).
SHOWN = 3


@dataclass(frozen=True)
class PairwiseSeparation:
    """Separation checks of every pair of classes.

    ``pairs[(a, b)]`` is the :class:`~newtonlogit.Separation` of the rows of
    classes ``a`` and ``b`` (in the natural order of the classes), ``b`` in the
    role of the event: its ``directions`` say which coefficients of
    ``log P(b) / P(a)`` run off to ``+inf`` or ``-inf``. ``unchecked`` counts
    the pairs of a fit with too many classes to check them (:data:`MAX_PAIRS`):
    its separation is then only suspected, from the fit's pattern.
    """

    pairs: dict = field(repr=False)
    unchecked: int = 0
    confirmed: bool = False  # (unchecked pairs) the model's program found it

    @property
    def separated(self) -> bool:
        return self.unchecked > 0 or any(s.separated for s in self.pairs.values())

    @property
    def separated_pairs(self) -> list[tuple]:
        return [pair for pair, s in self.pairs.items() if s.separated]

    @property
    def kind(self) -> str | None:
        if self.unchecked:
            return "complete or quasi-complete" if self.confirmed else "suspected"
        kinds = {self.pairs[p].kind for p in self.separated_pairs}
        if not kinds:
            return None
        return "complete" if "complete" in kinds else "quasi-complete"

    def describe(self, shown: int | None = None) -> list[str]:
        """``["b vs a: complete (x1 -> +inf)", ...]`` for the separated pairs
        (the first ``shown`` of them and of each pair's coefficients, the rest
        counted, where ``shown`` is given)."""
        if self.unchecked:
            how = (
                "found by the model's linear program"
                if self.confirmed
                else "the fit's pattern; not checked by linear programs"
            )
            return [
                f"{self.kind} separation of classes ({how}; {self.unchecked} "
                "pairs of classes, too many to check each)"
            ]
        return _shorten(
            [
                f"{b!r} vs {a!r}: {self.pairs[(a, b)].kind} "
                f"({', '.join(_shorten(self.pairs[(a, b)].describe(), shown))})"
                for a, b in self.separated_pairs
            ],
            shown,
            "pairs",
        )

    def note(self) -> str:
        """The summary's note (kept in model files)."""
        if self.unchecked:
            return (
                f"The data show {self.describe()[0]}: "
                f"{'no' if self.confirmed else 'likely no'} finite "
                "maximum-likelihood estimate exists; the coefficients are where "
                "Newton-Raphson stopped. penalty='l2' gives finite estimates."
            )
        return (
            f"The data show {self.kind} separation of classes (checked per pair by "
            f"a linear program): {'; '.join(self.describe(SHOWN))}. No finite "
            "maximum-likelihood estimate exists; the coefficients are where "
            "Newton-Raphson stopped. penalty='l2' gives finite estimates."
        )

    def __repr__(self) -> str:
        if not self.separated:
            return "<PairwiseSeparation: none of the pairs of classes is separated>"
        return f"<PairwiseSeparation: {'; '.join(self.describe())}>"


def _shorten(items: list[str], shown: int | None, what: str = "more") -> list[str]:
    """The first ``shown`` items and a count of the others."""
    if shown is None or len(items) <= shown:
        return items
    rest = len(items) - shown
    return [*items[:shown], f"and {rest} more{'' if what == 'more' else ' ' + what}"]


def pairwise_separation(
    design: Design, free: np.ndarray, classes: tuple
) -> PairwiseSeparation:
    """Run the binary separation check on the rows of every pair of classes.

    ``design`` is a multinomial design (``y`` the fit-order codes of
    ``design.classes``), ``free`` a mask over ``design.coef_names`` leaving out
    aliased columns, ``classes`` the labels in natural order.
    """
    n_pairs = len(classes) * (len(classes) - 1) // 2
    if n_pairs > MAX_PAIRS:
        return PairwiseSeparation({}, unchecked=n_pairs)
    codes = design.y
    code_of = {c: i for i, c in enumerate(design.classes)}
    used = np.ones(codes.shape[0], dtype=bool)
    if design.weights is not None:
        used = design.weights > 0
    pairs = {}
    for i, a in enumerate(classes):
        for b in classes[i + 1 :]:
            rows = used & ((codes == code_of[a]) | (codes == code_of[b]))
            pair = replace(
                design,
                X=design.X[rows],
                y=(codes[rows] == code_of[b]).astype(np.float64),
                weights=None if design.weights is None else design.weights[rows],
                offset=None,
                classes=(a, b),
            )
            pairs[(a, b)] = separation_of(pair, free)
    return PairwiseSeparation(pairs)


# The most constraints (rows times other classes) of the multinomial linear
# programs below: about 3 s each at the limit (HiGHS, 3 columns a class).
MAX_CONSTRAINTS = 50_000


def unbounded_sides(design: Design, free: np.ndarray) -> np.ndarray | None:
    """Where the multinomial log-likelihood never turns, per coefficient.

    ``free`` is the mask over the class-major coefficients; returns ``(m, 2)``
    bools over the free ones (see :func:`..binary.separation.recession_sides`),
    or None for data with more than :data:`MAX_CONSTRAINTS` constraints.
    """
    rows = _cone_rows(design)
    if rows is None:
        return None
    return recession_sides(rows[:, np.flatnonzero(free)])


def model_separated(design: Design, columns: np.ndarray) -> bool | None:
    """Whether the multinomial maximum-likelihood estimate fails to exist:
    Konis's linear program on the constraints of :func:`_cone_rows` (over the
    coefficients of ``columns`` in every class block). Pairs of classes can be
    separated while the model's estimate exists (classes ordered along ``x``:
    the first and last are separated, neighbours overlap), so a separated pair
    alone proves nothing. None where the program would be too large."""
    from scipy.optimize import linprog

    rows = _cone_rows(design)
    if rows is None:
        return None
    rows = rows[:, np.flatnonzero(np.tile(columns, len(design.classes) - 1))]
    m, k = rows.shape
    res = linprog(
        -np.asarray(rows.sum(axis=0)).ravel(),
        A_ub=-rows,
        b_ub=np.zeros(m),
        bounds=[(-1.0, 1.0)] * k,
        method="highs",
    )
    if res.status != 0:
        return None
    return bool(np.any(np.abs(res.x) >= TOLERANCE))


def _cone_rows(design: Design):
    """The constraints ``x_i' (d_{y_i} - d_l) >= 0`` (every row ``i`` of
    positive weight and other class ``l``; ``d_0 = 0`` for the base) on a
    direction ``D`` along which no row loses: one sparse row each, two blocks
    of ``x_i`` (class-major, intercept first). None beyond
    :data:`MAX_CONSTRAINTS`."""
    from scipy import sparse

    n_classes = len(design.classes)
    codes = design.y.astype(np.intp)
    used = np.ones(codes.size, dtype=bool)
    if design.weights is not None:
        used = design.weights > 0
    if int(used.sum()) * (n_classes - 1) > MAX_CONSTRAINTS:
        return None
    X = np.asarray(design.X, dtype=np.float64)
    if design.fit_intercept:
        X = np.column_stack([np.ones(X.shape[0]), X])
    k = X.shape[1]
    blocks = []
    for other in range(n_classes):
        rows = np.flatnonzero(used & (codes != other))
        parts = []
        for cls, sign in ((codes[rows], 1.0), (np.full(rows.size, other), -1.0)):
            keep = cls > 0  # the base class has no coefficients
            r = np.repeat(np.flatnonzero(keep), k)
            c = ((cls[keep] - 1)[:, None] * k + np.arange(k)).ravel()
            parts.append((r, c, sign * X[rows[keep]].ravel()))
        r, c, v = (np.concatenate(a) for a in zip(*parts))
        shape = (rows.size, (n_classes - 1) * k)
        blocks.append(sparse.csr_matrix((v, (r, c)), shape=shape))
    return sparse.vstack(blocks).tocsc()


@dataclass(eq=False)
class MultinomialSeparationMonitor:
    """Watches a multinomial Newton fit (as its ``monitor``) for separation.

    Suspicion: three successive linear-rate steps, convergence about to be
    declared at a linear rate, or the fit failing. In-memory data are then
    checked, once: by :func:`model_separated` where it is small enough (an
    estimate that exists lets the fit go on), then pair by pair; a separated
    pair stops the fit, not converged.
    With more than :data:`MAX_PAIRS` pairs, the suspicion at the fit's end
    stops it as "suspected". The diagnosis is kept in ``separation``.
    """

    design: Design
    free: np.ndarray  # over design.coef_names
    classes: tuple  # natural order
    separation: PairwiseSeparation | None = None
    _verdict: bool | None = None  # of model_separated, once asked

    def __call__(self, event, beta, evaluation, rows) -> str | None:
        if self.separation is not None or not isinstance(self.design.X, np.ndarray):
            return None  # checked once already, or no data at hand
        if event != "failed" and not _linear_rate(
            rows, 3 if event == "iteration" else 1, evaluation
        ):
            return None
        if self._verdict is None:  # the model's program, once (None: too large)
            self._verdict = model_separated(self.design, self.free)
        if self._verdict is False:
            self.separation = PairwiseSeparation({})  # the estimate exists
            return None
        found = pairwise_separation(self.design, self.free, self.classes)
        if found.unchecked:
            if self._verdict is None and event == "iteration":
                return None  # only the pattern: wait for the fit's end
            self.separation = replace(found, confirmed=bool(self._verdict))
            return self.separation.describe()[0]
        self.separation = found
        if not found.separated:
            return None
        return (
            f"{self.separation.kind} separation of classes: the maximum-likelihood "
            "estimate does not exist "
            f"({'; '.join(self.separation.describe(SHOWN))})"
        )


__all__ = ["MultinomialSeparationMonitor", "PairwiseSeparation", "Separation"]
