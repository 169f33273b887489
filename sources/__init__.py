"""What the commune's applications deliver: contracts, readers, checks, and the synthetic commune.

Polars, which the loader's fast lane uses (`row_pattern`, `copy_rows`), runs on one thread unless
the environment says otherwise: PostgreSQL parses the COPY on another core at the same time, and
polars' workers, on a block's short operations, cost more CPU in waiting for each other than they
save (benchmarks/README.md, item 17). It must be set before polars is imported, hence here.
"""

import os

os.environ.setdefault("POLARS_MAX_THREADS", "1")
