#!/usr/bin/env python3
"""Build the 'Fun with Diffusion Models' site. See `python build.py --help` and README.md."""
import sys

from generator.engine.cli import main

if __name__ == "__main__":
    sys.exit(main())
