"""Inference shared by the families: covariance estimators (:mod:`.covariance`,
the meats computed by the family's kernels), tests, intervals and marginal
effects from estimates and covariances (:mod:`.stats`), and profile-likelihood
intervals through a fit's refitter (:mod:`.profile`)."""
