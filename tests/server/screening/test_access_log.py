"""The screening access log (and the privacy audit trail) are append-only for the application: inserts
work; changing or deleting rows through the ORM or the admin is refused and leaves the rows as they were."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from core.append_only import AppendOnlyError
from core.models import PrivacyAuditEvent
from screening.models import ScreeningAccessLog


def _row(**extra: Any) -> ScreeningAccessLog:
    values = {"actor_id": 7, "actor_email": "dr@example.org", "actor_role": "clinician", "screening_id": uuid.uuid4(), "owner_id": 3, "action": "read", "outcome": "granted", "reason": "shared"}
    return ScreeningAccessLog.objects.create(**{**values, **extra})


def _unchanged(row: ScreeningAccessLog) -> None:
    stored = ScreeningAccessLog.objects.get(pk=row.pk)
    assert (stored.actor_email, stored.outcome, stored.action) == ("dr@example.org", "granted", "read")


def test_rows_can_be_appended(db: Any) -> None:
    first, second = _row(), _row(action="list")
    ScreeningAccessLog.objects.bulk_create([ScreeningAccessLog(screening_id=uuid.uuid4(), action="list", outcome="denied")])
    assert ScreeningAccessLog.objects.count() == 3 and first.pk != second.pk


def test_saving_an_existing_row_is_refused(db: Any) -> None:
    # Given a row on the trail
    row = _row()
    # When the application tries to rewrite it (loaded fresh, or the same instance, or with update_fields)
    loaded = ScreeningAccessLog.objects.get(pk=row.pk)
    loaded.outcome = "denied"
    for attempt in (lambda: loaded.save(), lambda: loaded.save(update_fields=["outcome"]), lambda: row.save()):
        with pytest.raises(AppendOnlyError), transaction.atomic():
            attempt()
    # Then the stored row is as it was
    _unchanged(row)


@pytest.mark.parametrize(
    "attempt",
    [
        lambda row: row.delete(),
        lambda row: ScreeningAccessLog.objects.filter(pk=row.pk).delete(),
        lambda row: ScreeningAccessLog.objects.all().delete(),
        lambda row: ScreeningAccessLog.objects.filter(pk=row.pk).update(outcome="denied"),
        lambda row: ScreeningAccessLog.objects.update(actor_email=""),
        lambda row: ScreeningAccessLog.objects.bulk_update([row], ["outcome"]),
        lambda row: ScreeningAccessLog.objects.update_or_create(pk=row.pk, defaults={"outcome": "denied"}),
    ],
    ids=["instance-delete", "queryset-delete", "delete-all", "queryset-update", "manager-update", "bulk-update", "update-or-create"],
)
def test_deleting_or_updating_through_the_orm_is_refused(db: Any, attempt: Any) -> None:
    row = _row()
    with pytest.raises(AppendOnlyError):
        attempt(row)
    _unchanged(row)
    assert ScreeningAccessLog.objects.count() == 1


def test_the_admin_shows_the_log_read_only(db: Any, admin_user: Any, client: Any) -> None:
    # Given an admin signed in to the admin site and a row on the trail
    row = _row()
    client.force_login(admin_user)
    change = reverse("admin:screening_screeningaccesslog_change", args=[row.pk])
    # When they open the list and the row
    listing = client.get(reverse("admin:screening_screeningaccesslog_changelist"))
    page = client.get(change)
    # Then they can read it but there is nothing to save, add or delete
    assert listing.status_code == 200 and b"dr@example.org" in listing.content
    assert b'name="action"' not in listing.content  # no bulk "delete selected"
    assert page.status_code == 200 and b"dr@example.org" in page.content and b'name="_save"' not in page.content
    # And a forged change or delete request is refused, leaving the row as it was
    assert client.post(change, {"actor_email": "someone@else.org", "outcome": "denied"}).status_code == 403
    assert client.post(reverse("admin:screening_screeningaccesslog_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:screening_screeningaccesslog_add")).status_code == 403
    _unchanged(row)


def test_the_privacy_audit_trail_is_append_only_too(db: Any, admin_user: Any, client: Any) -> None:
    event = PrivacyAuditEvent.objects.create(user_id=5, action="export", detail={"screenings": 1})
    with pytest.raises(AppendOnlyError):
        PrivacyAuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyError):
        PrivacyAuditEvent.objects.filter(pk=event.pk).update(detail={})
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert PrivacyAuditEvent.objects.get(pk=event.pk).detail == {"screenings": 1}
    client.force_login(admin_user)
    assert client.get(reverse("admin:core_privacyauditevent_changelist")).status_code == 200
    assert client.post(reverse("admin:core_privacyauditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
