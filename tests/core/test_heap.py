"""Deferring full garbage collections while a checker pass holds its findings."""

from __future__ import annotations

import gc
import threading

from sslterm.core.heap import NEVER, full_collections_deferred


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
        assert gc.get_threshold() == (before[0], before[1], NEVER)
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
