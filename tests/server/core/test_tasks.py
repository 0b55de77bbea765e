"""core.tasks: after-commit work runs once the transaction commits, never after a rollback, and a failing
enqueue is logged without turning the committed request into an error."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import transaction

from core.tasks import enqueue_after_commit, run_after_commit

pytestmark = pytest.mark.django_db(transaction=True)


class FakeTask:
    name = "fake_task"

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.fail = fail

    def __call__(self, *args: Any) -> None:
        if self.fail:
            raise ConnectionError("queue is down")
        self.calls.append(args)


def test_the_task_is_enqueued_only_after_commit() -> None:
    task = FakeTask()
    with transaction.atomic():
        enqueue_after_commit(task, 42)
        assert task.calls == []  # still inside the transaction: the worker could not see the row yet
    assert task.calls == [(42,)]


def test_a_rolled_back_transaction_enqueues_nothing() -> None:
    task = FakeTask()
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_after_commit(task, 7)
        raise RuntimeError("the write failed")
    assert task.calls == []


def test_a_queue_outage_is_logged_and_the_other_callbacks_still_run(caplog: Any) -> None:
    broken, healthy = FakeTask(fail=True), FakeTask()
    with caplog.at_level(logging.ERROR, logger="core.tasks"), transaction.atomic():
        enqueue_after_commit(broken, 1)
        enqueue_after_commit(healthy, 2)
    assert healthy.calls == [(2,)]
    assert any("fake_task" in r.getMessage() and "failed" in r.getMessage() for r in caplog.records)


def test_outside_a_transaction_the_work_runs_at_once() -> None:
    done: list[str] = []
    run_after_commit(lambda: done.append("x"), what="append")
    assert done == ["x"]
