"""``python -m console ...``: the one entry point for serving and for the admin commands."""

import sys

from console.cli import main

if __name__ == "__main__":
    sys.exit(main())
