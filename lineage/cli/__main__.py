"""`python -m lineage.cli` is the same as `mlaudit`."""

from lineage.cli.app import main

main()
