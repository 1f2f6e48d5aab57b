"""The `mlaudit` command line.

Its process starts no BLAS thread pool: the store uses numpy for integer array walks
(lineage.queries.reach), never for linear algebra, and a process of one thread may fork verify's
worker on PostgreSQL rather than start a fresh interpreter (lineage.merkle.worker_start). Set
before anything imports numpy; a value given in the environment is kept. It holds for any
process that imports these modules before numpy (the Dagster definitions do not import them).
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
