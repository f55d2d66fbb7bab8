"""`python -m wallboard.cli`: the `wallboard` command (see `wallboard.commands`)."""

from __future__ import annotations

import sys

from wallboard.commands import build_parser, main

__all__ = ["build_parser", "main"]

if __name__ == "__main__":
    sys.exit(main())
