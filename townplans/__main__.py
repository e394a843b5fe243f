"""Entry point for ``python -m townplans``."""

from townplans.cli import main

main()
