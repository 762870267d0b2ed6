"""The cyclic garbage collector around work that holds many objects for a while.

A full collection walks every tracked object the process holds, with the GIL
held throughout. A checker pass over a big store holds its findings (~24k at
100k certificates, ~100k at 500k) until it ends, and each full collection
during the pass walked them all: 25-45 ms at 100k, up to ~150 ms at 500k,
during which the TUI's event loop, in another thread, could not run.

:func:`full_collections_deferred` keeps the young collections (which free the
short-lived cycles of the work and of the UI) and defers the full ones until
the outermost deferral ends. The work's objects are freed by reference
counting as usual; only cycles that reach the oldest generation wait. Meanwhile
the middle generation is collected in smaller steps. :func:`dismantle` frees a
pass's big containers piecemeal for the same reason.

:func:`kept_until_exit` is for a process about to end: the interpreter's own
shutdown collects every object it still holds, ~0.1 s after a ``check`` of 200
endpoints (its certificates, the imported modules), to free memory the
operating system takes back anyway.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from typing import Any, Iterator

NEVER = 2**31 - 1  # young-generation collections before a full one: not while deferred
# While deferred, the middle generation is collected after this many young collections (Python's default: 10).
# A pass keeps most of what it makes until it ends, so each middle collection walked ~10 batches of survivors:
# 8-11 ms at a time during a pass over 100k certificates. In steps of 2 the same work comes in fifths.
MIDDLE_STEPS = 2

_lock = threading.Lock()
_depth = 0
_saved = gc.get_threshold()


@contextlib.contextmanager
def full_collections_deferred() -> Iterator[None]:
    """No full collection until the outermost of these blocks ends (safe from several threads)."""
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(_saved[0], min(_saved[1], MIDDLE_STEPS), NEVER)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.set_threshold(*_saved)


def dismantle(*containers: list[Any] | dict[Any, Any]) -> None:
    """Empty big lists and dicts one item at a time, so that the UI thread can run in between.

    Freeing a container frees everything only it holds in one C loop with the GIL
    held: a pass's ~24k findings and their notification states took ~25 ms to go
    at the end of a pass over 100k certificates. Popped one by one in Python, the
    interpreter hands the GIL over between items as usual.
    """
    for container in containers:
        if isinstance(container, dict):
            while container:
                container.popitem()
        else:
            while container:
                container.pop()


def kept_until_exit() -> None:
    """Leave every object the process holds to its exit: no collection walks them again.

    Only for the end of a process (the ``sslterm`` command): cycles made after this
    are still collected, but nothing that exists now is ever freed before the exit.
    """
    gc.freeze()
