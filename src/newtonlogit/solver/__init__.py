"""The solver: damped Newton on any concave objective (:mod:`.newton`), the
penalty and restriction wrappers (:mod:`.objective`), constrained refits for
profile likelihood and LR tests (:mod:`.refit`) and the subsample warm start
(:mod:`.warmstart`). It knows nothing of where the data live or which model
family is fitted."""
