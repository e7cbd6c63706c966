"""``python -m fiscal_opt`` is the ``fiscal-opt`` command."""

from .cli import main

main()
