"""Append-only tables for the application: rows can be inserted, never changed or deleted through the ORM.

An audit trail that the code it audits could rewrite is not evidence. `AppendOnlyModel` refuses `save()`
of an existing row and `delete()`; its manager's QuerySet refuses `update()` and `delete()` (which is
also what a cascade or the admin's bulk delete would call). Retention (e.g. purging rows after the legal
period) is a database-level job run by an operator, outside the application.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models


class AppendOnlyError(Exception):
    """An attempt to change or delete a row of an append-only table."""


def _refuse(model: type[models.Model], what: str) -> NoReturn:
    raise AppendOnlyError(f"{model._meta.label} is append-only: rows cannot be {what}.")


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        _refuse(self.model, "updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        _refuse(self.model, "deleted")

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        _refuse(self.model, "updated")

    def update_or_create(self, defaults: Any = None, create_defaults: Any = None, **kwargs: Any) -> Any:
        _refuse(self.model, "updated")


class AppendOnlyModel(models.Model):
    """Inserts only: `save()` of a row that already exists and `delete()` raise `AppendOnlyError`."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        # `_state.adding` is False for a row loaded from (or already written to) the database.
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields") is not None:
            _refuse(type(self), "changed")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        _refuse(type(self), "deleted")
