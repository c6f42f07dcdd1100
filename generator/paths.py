"""Where the project lives: every path in a parameter or the cache is relative to ``ROOT``."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
