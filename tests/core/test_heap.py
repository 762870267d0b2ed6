"""Deferring full garbage collections while a checker pass holds its findings."""

from __future__ import annotations

import gc
import threading
import weakref

from sslterm.core.heap import MIDDLE_STEPS, NEVER, dismantle, full_collections_deferred


def full_collections_during(work) -> int:  # type: ignore[no-untyped-def]
    """How many full collections ran while ``work()`` did."""
    collected = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            collected.append(1)

    gc.callbacks.append(seen)
    try:
        work()
    finally:
        gc.callbacks.remove(seen)
    return len(collected)


def hold_many() -> list[object]:
    """What a pass does: keep a growing heap of small tracked objects, as its findings."""
    held: list[object] = []
    for i in range(400_000):
        held.append([i])
    return held


def test_a_growing_heap_triggers_full_collections_unless_deferred():
    before = gc.get_threshold()
    assert full_collections_during(hold_many) > 0  # the stall the deferral removes is real

    with full_collections_deferred():
        assert gc.get_threshold() == (before[0], min(before[1], MIDDLE_STEPS), NEVER)  # the middle generation in small steps
        assert full_collections_during(hold_many) == 0
    assert gc.get_threshold() == before


def test_the_outermost_of_overlapping_deferrals_restores_collection():
    before = gc.get_threshold()
    inside, release = threading.Event(), threading.Event()

    def other_job() -> None:
        with full_collections_deferred():
            inside.set()
            release.wait(5)

    job = threading.Thread(target=other_job)
    with full_collections_deferred():
        job.start()
        inside.wait(5)
    assert gc.get_threshold()[2] == NEVER  # the other job is still running
    release.set()
    job.join()
    assert gc.get_threshold() == before


def test_a_failing_job_still_restores_collection():
    before = gc.get_threshold()
    try:
        with full_collections_deferred():
            raise RuntimeError("the pass failed")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before


class Held:
    """A finding-like object that says when it is freed."""


def test_dismantle_empties_lists_and_dicts_and_frees_what_only_they_held():
    items = [Held() for _ in range(1000)]
    states = {i: Held() for i in range(1000)}
    freed = []
    for item in [*items, *states.values()]:
        weakref.finalize(item, freed.append, 1)
    del item
    kept = items[0]
    dismantle(items, states)
    assert items == [] and states == {}
    assert len(freed) == 1999  # freed one by one as they were popped; the one still referenced stays
    assert isinstance(kept, Held)
