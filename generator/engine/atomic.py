"""Replacing a folder atomically, and settling what a killed process left behind (the cache's entries
and the site both use these)."""
from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path
from typing import Callable, Optional


def swap_in(new: Path, final: Path, aside: Path, attempts: int = 1) -> None:
    """Put folder ``new`` at ``final``; what was there is moved to ``aside`` and removed only after
    the new one is in place, so a kill between the two renames leaves it at ``aside``, from where
    ``Store.recover`` (or ``render.recover_site``) puts it back.

    Another process may swap the same ``final`` at the same moment (two builds rendering one site):
    the folder it moved away first is simply gone here, and with ``attempts`` > 1 a folder it put in
    place between our two renames is removed (ours replaces it: the last writer wins), so nobody
    fails. The cache keeps ``attempts=1``: there the other's entry stays (a reader may be using
    it). A kill in between leaves ``final`` missing and the original at ``aside``, which recovery
    puts back."""
    try:
        os.replace(final, aside)
    except FileNotFoundError:
        pass   # nothing there, or the other process moved it away first
    for i in range(attempts):
        try:
            os.replace(new, final)
            break
        except OSError as e:
            if e.errno not in (errno.ENOTEMPTY, errno.EEXIST) or i == attempts - 1:
                raise
            shutil.rmtree(final, ignore_errors=True)
    shutil.rmtree(aside, ignore_errors=True)


def settle_leftover(d: Path, pid: str, final: Optional[Path] = None,
                    complete: Callable[[Path], bool] = Path.exists, gone: bool = False) -> bool:
    """A folder that process ``pid`` left behind (``swap_in``'s set-aside original when ``final`` is
    given, else a temporary folder). If that process is gone (``gone``: known to be, whatever the
    PID), the original goes back to ``final`` when no complete replacement is there, and anything
    else is removed. True if it acted."""
    if not pid.isdigit() or (not gone and alive(int(pid))):
        return False
    if final is not None and not complete(final):
        shutil.rmtree(final, ignore_errors=True)
        os.replace(d, final)
    else:
        shutil.rmtree(d, ignore_errors=True)
    return True


def alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
