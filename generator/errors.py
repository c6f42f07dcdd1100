"""The errors the build reports to users in one line: where, what, and how to fix it."""
from __future__ import annotations

from typing import Optional


class BuildError(Exception):
    """A user-facing error. ``where`` is 'file:line' or 'experiment.param'; exit code 2."""

    exit_code = 2

    def __init__(self, message: str, where: Optional[str] = None):
        super().__init__(message)
        self.message = message
        self.where = where

    def __reduce__(self):   # keeps ``where`` when a Ray worker sends the error back
        return (type(self), (self.message, self.where))

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class UserError(RuntimeError):
    """A problem with the user's data, weights or machine that science code finds while it runs (no
    MNIST to read, DeepFloyd weights missing), its message ending in the fix. The build reports any
    subclass in one line, exit 2, without knowing which science raised it; anything else is a bug."""
