"""Model families. A family is one unit: its kernels (the sums of one row block),
its objective, its fit function (design -> backend -> objective -> solver ->
results), its results class, its separation check and its model-file kind.

The shared layers never import a family; a family registers what they need
(its model-file kind with :func:`newtonlogit.files.modelfile.register_kind`)
when its package is imported, which ``import newtonlogit`` does.
"""
