"""Files: data tables in and out (:mod:`.tables`: CSV and Parquet, atomic
writes) and the model-file format (:mod:`.modelfile`: a versioned, checksummed
JSON envelope; each model family registers its kind)."""
