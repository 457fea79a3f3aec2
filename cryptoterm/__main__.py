"""`python -m cryptoterm` runs the same entry point as the `cryptoterm` console script."""

from cryptoterm.cli import main

raise SystemExit(main())
