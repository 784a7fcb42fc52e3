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
from ..binary.separation import Separation, _linear_rate, separation_of


@dataclass(frozen=True)
class PairwiseSeparation:
    """Separation checks of every pair of classes.

    ``pairs[(a, b)]`` is the :class:`~newtonlogit.Separation` of the rows of
    classes ``a`` and ``b`` (in the natural order of the classes), ``b`` in the
    role of the event: its ``directions`` say which coefficients of
    ``log P(b) / P(a)`` run off to ``+inf`` or ``-inf``.
    """

    pairs: dict = field(repr=False)

    @property
    def separated(self) -> bool:
        return any(s.separated for s in self.pairs.values())

    @property
    def separated_pairs(self) -> list[tuple]:
        return [pair for pair, s in self.pairs.items() if s.separated]

    @property
    def kind(self) -> str | None:
        kinds = {self.pairs[p].kind for p in self.separated_pairs}
        if not kinds:
            return None
        return "complete" if "complete" in kinds else "quasi-complete"

    def describe(self) -> list[str]:
        """``["b vs a: complete (x1 -> +inf)", ...]`` for the separated pairs."""
        return [
            f"{b!r} vs {a!r}: {self.pairs[(a, b)].kind} "
            f"({', '.join(self.pairs[(a, b)].describe())})"
            for a, b in self.separated_pairs
        ]

    def note(self) -> str:
        """The summary's note (kept in model files)."""
        return (
            f"The data show {self.kind} separation of classes (checked per pair by "
            f"a linear program): {'; '.join(self.describe())}. No finite "
            "maximum-likelihood estimate exists; the coefficients are where "
            "Newton-Raphson stopped. penalty='l2' gives finite estimates."
        )

    def __repr__(self) -> str:
        if not self.separated:
            return "<PairwiseSeparation: none of the pairs of classes is separated>"
        return f"<PairwiseSeparation: {'; '.join(self.describe())}>"


def pairwise_separation(
    design: Design, free: np.ndarray, classes: tuple
) -> PairwiseSeparation:
    """Run the binary separation check on the rows of every pair of classes.

    ``design`` is a multinomial design (``y`` the fit-order codes of
    ``design.classes``), ``free`` a mask over ``design.coef_names`` leaving out
    aliased columns, ``classes`` the labels in natural order.
    """
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


@dataclass(eq=False)
class MultinomialSeparationMonitor:
    """Watches a multinomial Newton fit (as its ``monitor``) for separation.

    Suspicion: three successive linear-rate steps, convergence about to be
    declared at a linear rate, or the fit failing. In-memory data are then
    checked pair by pair, once; a separated pair stops the fit, not converged.
    The diagnosis is kept in ``separation``.
    """

    design: Design
    free: np.ndarray  # over design.coef_names
    classes: tuple  # natural order
    separation: PairwiseSeparation | None = None

    def __call__(self, event, beta, evaluation, rows) -> str | None:
        if self.separation is not None or not isinstance(self.design.X, np.ndarray):
            return None  # checked once already, or no data at hand
        if event != "failed" and not _linear_rate(
            rows, 3 if event == "iteration" else 1
        ):
            return None
        self.separation = pairwise_separation(self.design, self.free, self.classes)
        if not self.separation.separated:
            return None
        return (
            f"{self.separation.kind} separation of classes: the maximum-likelihood "
            f"estimate does not exist ({'; '.join(self.separation.describe())})"
        )


__all__ = ["MultinomialSeparationMonitor", "PairwiseSeparation", "Separation"]
