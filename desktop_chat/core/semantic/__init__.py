"""Recall by meaning: a local embedding model, message vectors in SQLite, and their in-memory index."""

import os

# Before numpy's first import: one BLAS thread. Our products are small (a few queries against the
# vectors of one chat), where OpenBLAS's thread start-up costs five times the work (5.6 ms against
# 1.1 ms for 3,600 messages), and a desktop app should not spin every core for them.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
