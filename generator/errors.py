"""The one error type the build reports to users: where, what, and how to fix it."""
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
