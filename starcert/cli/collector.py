"""The cycle collector while a command starts.

Start-up (importing SQLAlchemy, SQLModel, pydantic, building the app) allocates hundreds of
thousands of objects and frees almost none, so the collector's passes over them are wasted: about
a tenth of a short command's time. `main` pauses it; it resumes once the app is open (a command
may then run for hours) or when the command ends, with what start-up made frozen out of its sight.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Collect as usual from here on; what exists now is kept out of later passes (gc.freeze)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
