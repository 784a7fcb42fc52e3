"""Input and design: what the user passed, checked and turned into a
:class:`~.design.Design` (held by reference, never copied). Per-argument
checks (:mod:`.checks`), formulas (:mod:`.formula`, :mod:`.safe_formula`),
``missing="drop"`` (:mod:`.inputs`), and the variants for data that live
elsewhere: Dask (:mod:`.dask`) and array-API devices (:mod:`.array_api`)."""
