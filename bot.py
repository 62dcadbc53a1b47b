#!/usr/bin/env python3
"""Benjamin's entry point: `python bot.py --help` lists the commands."""
import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())
