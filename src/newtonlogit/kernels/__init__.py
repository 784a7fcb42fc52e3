"""The math of one row block that every model family shares: the :class:`Block`,
stable logistic numerics, the linear predictor, and the registry of storage-specific
block operations (the Gram). A family's own sums live with the family."""
