"""Booking, listing, rescheduling, cancelling and visit status through the API (SQLite leg and MariaDB leg)."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, time, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from appointments.models import Appointment, AvailabilityException, BookedCell
from notifications.models import Notification
from tests.server.appointments.factories import make_clinician
from tests.server.factories import UserFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
pytestmark = pytest.mark.django_db


def local_slot(days_ahead: int, hour: int, minute: int = 0, tz: zoneinfo.ZoneInfo = BERLIN) -> datetime:
    # The calendar day is always Berlin's: slots in other zones must fall on the same date even in the
    # hour when Berlin is already past midnight and London is not.
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=days_ahead)
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def book(client, clinician_id: int, start: datetime, key: str | None = None, **extra):
    headers = {"Idempotency-Key": key} if key else None
    return client.post("/api/v1/appointments", {"clinician_id": clinician_id, "start": start.isoformat(), **extra}, headers=headers)


def counts() -> tuple[int, int, int]:
    return Appointment.objects.count(), BookedCell.objects.count(), Notification.objects.count()


class TestClinicians:
    def test_list_is_paginated_with_profile_fields(self, as_user, patient):
        clinician = make_clinician(full_name="Dr. Zoe Zed")
        UserFactory(role="clinician")  # no profile: not bookable, not listed

        response = as_user(patient).get("/api/v1/clinicians")

        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 1
        assert body["items"] == [
            {
                "id": clinician.user_id,
                "full_name": "Dr. Zoe Zed",
                "speciality": "Dermatology",
                "clinic": "Test clinic",
                "time_zone": "Europe/Berlin",
            }
        ]

    def test_detail_and_unknown(self, as_user, patient):
        clinician = make_clinician()
        client = as_user(patient)
        assert client.get(f"/api/v1/clinicians/{clinician.user_id}").json()["slot_minutes"] == 30
        assert client.get(f"/api/v1/clinicians/{patient.pk}").status_code == 404

    def test_requires_authentication(self, api):
        assert api.get("/api/v1/clinicians").status_code == 401


class TestSlots:
    def test_slots_in_askers_zone_skip_booked_and_days_off(self, as_user, patient):
        clinician = make_clinician(windows=[(d, time(9), time(11)) for d in range(7)])
        day = local_slot(3, 9).date()
        AvailabilityException.objects.create(clinician=clinician, date=day + timedelta(days=1))
        assert book(as_user(patient), clinician.user_id, local_slot(3, 9, 30)).status_code == 201

        response = as_user(patient).get(
            f"/api/v1/clinicians/{clinician.user_id}/slots",
            {"start": day.isoformat(), "end": (day + timedelta(days=1)).isoformat(), "tz": "Europe/Berlin"},
        )

        assert response.status_code == 200
        starts = [s["start"] for s in response.json()["items"]]
        # 09:00-11:00 in 30-minute slots minus the booked 09:30; the next day is a day off.
        assert [datetime.fromisoformat(s).strftime("%H:%M") for s in starts] == ["09:00", "10:00", "10:30"]
        assert all(datetime.fromisoformat(s).utcoffset() == local_slot(3, 9).utcoffset() for s in starts)

    def test_slots_default_to_users_zone(self, as_user):
        clinician = make_clinician(windows=[(d, time(9), time(10)) for d in range(7)])
        tokyo = UserFactory(role="patient", time_zone="Asia/Tokyo")
        day = local_slot(5, 9).date()
        response = as_user(tokyo).get(
            f"/api/v1/clinicians/{clinician.user_id}/slots", {"start": day.isoformat(), "end": (day + timedelta(days=1)).isoformat()}
        )
        body = response.json()
        assert body["time_zone"] == "Asia/Tokyo"
        assert all(datetime.fromisoformat(s["start"]).utcoffset() == timedelta(hours=9) for s in body["items"])

    def test_past_slots_are_not_offered(self, as_user, patient):
        clinician = make_clinician(time_zone="UTC", windows=[(d, time(0), time(23, 30)) for d in range(7)])
        today = timezone.now().date()
        items = (
            as_user(patient)
            .get(f"/api/v1/clinicians/{clinician.user_id}/slots", {"start": today.isoformat(), "end": today.isoformat(), "tz": "UTC"})
            .json()["items"]
        )
        assert all(datetime.fromisoformat(s["start"]) > timezone.now() for s in items)

    @pytest.mark.parametrize(
        ("params", "code"),
        [
            ({"start": "2030-01-02", "end": "2030-01-01"}, "invalid_range"),
            ({"start": "2030-01-01", "end": "2030-06-01"}, "invalid_range"),
            ({"start": "2030-01-01", "end": "2030-01-02", "tz": "Mars/Olympus"}, "invalid_time_zone"),
            ({"start": "yesterday", "end": "2030-01-02"}, "validation_error"),
            ({"end": "2030-01-02"}, "validation_error"),
        ],
    )
    def test_bad_ranges_are_422(self, as_user, patient, params, code):
        clinician = make_clinician()
        response = as_user(patient).get(f"/api/v1/clinicians/{clinician.user_id}/slots", params)
        assert response.status_code == 422
        assert response.json()["code"] == code

    def test_unknown_clinician_is_404(self, as_user, patient):
        response = as_user(patient).get(f"/api/v1/clinicians/{patient.pk}/slots", {"start": "2030-01-01", "end": "2030-01-02"})
        assert response.status_code == 404
        assert response.json()["code"] == "clinician_not_found"


class TestBooking:
    def test_book_returns_201_with_offsets_and_writes_cells_and_reminders(self, as_user, patient):
        clinician = make_clinician(full_name="Dr. Bea Berg")
        start = local_slot(3, 10)

        response = book(as_user(patient), clinician.user_id, start, key="key-0001-abcdef", reason="itchy mole on the back")

        assert response.status_code == 201
        body = response.json()
        assert body["status"] == "booked"
        assert body["clinician"]["full_name"] == "Dr. Bea Berg"
        assert body["patient"] == {"id": patient.pk, "full_name": patient.full_name}
        assert datetime.fromisoformat(body["start"]) == start  # patient is in UTC: same instant, +00:00 offset
        assert datetime.fromisoformat(body["end"]) - datetime.fromisoformat(body["start"]) == timedelta(minutes=30)
        assert body["time_zone"] == "Europe/Berlin"
        appointment = Appointment.objects.get()
        assert appointment.start == start.astimezone(UTC)
        assert BookedCell.objects.filter(appointment=appointment).count() == 12  # 6 five-minute cells x 2 people
        reminders = Notification.objects.filter(group=f"appointment:{appointment.pk}").order_by("due_at")
        assert sorted((n.user_id, start - n.due_at) for n in reminders) == sorted(
            [
                (patient.pk, timedelta(hours=24)),
                (patient.pk, timedelta(hours=1)),
                (patient.pk, timedelta(0)),
                (clinician.user_id, timedelta(0)),
            ]
        )
        # Lock screens: no reason, no clinician speciality in what is pushed.
        for n in reminders:
            assert "mole" not in n.body.lower() and "dermat" not in n.body.lower()

    def test_reminders_already_past_are_not_scheduled(self, as_user, patient):
        clinician = make_clinician(time_zone="UTC", windows=[(d, time(0), time(23, 30)) for d in range(7)])
        soon = (timezone.now() + timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
        assert book(as_user(patient), clinician.user_id, soon).status_code == 201
        offsets = sorted(n.data["offset_seconds"] for n in Notification.objects.filter(user=patient))
        assert offsets == [0, 3600]

    def test_same_idempotency_key_replays_and_books_once(self, as_user, patient):
        clinician = make_clinician()
        client = as_user(patient)
        first = book(client, clinician.user_id, local_slot(3, 11), key="retry-key-123456")
        again = book(client, clinician.user_id, local_slot(3, 11), key="retry-key-123456")
        assert first.status_code == again.status_code == 201
        assert first.json()["id"] == again.json()["id"]
        assert Appointment.objects.count() == 1

    def test_same_key_different_body_is_422_and_writes_nothing(self, as_user, patient):
        clinician = make_clinician()
        client = as_user(patient)
        book(client, clinician.user_id, local_slot(3, 11), key="retry-key-123456")
        before = counts()
        response = book(client, clinician.user_id, local_slot(3, 12), key="retry-key-123456")
        assert response.status_code == 422
        assert response.json()["code"] == "idempotency_key_reused"
        assert counts() == before

    def test_taken_slot_is_409(self, as_user, patient):
        clinician = make_clinician()
        other = UserFactory(role="patient")
        assert book(as_user(other), clinician.user_id, local_slot(4, 9)).status_code == 201
        before = counts()
        response = book(as_user(patient), clinician.user_id, local_slot(4, 9))
        assert response.status_code == 409
        assert response.json()["code"] == "slot_taken"
        assert counts() == before

    def test_patient_overlapping_with_another_clinician_is_409(self, as_user, patient):
        first = make_clinician(time_zone="Europe/Berlin")
        second = make_clinician(time_zone="Europe/London", slot_minutes=20, windows=[(d, time(7), time(17)) for d in range(7)])
        client = as_user(patient)
        assert book(client, first.user_id, local_slot(4, 10)).status_code == 201  # 10:00-10:30 Berlin
        # 09:20 London == 10:20 Berlin: overlaps although the grids differ.
        response = book(client, second.user_id, local_slot(4, 9, 20, tz=zoneinfo.ZoneInfo("Europe/London")))
        assert response.status_code == 409
        assert response.json()["code"] == "patient_busy"
        # 09:40 London == 10:40 Berlin does not overlap.
        assert book(client, second.user_id, local_slot(4, 9, 40, tz=zoneinfo.ZoneInfo("Europe/London"))).status_code == 201


class TestBadBookingInput:
    @pytest.fixture
    def clinician_profile(self):
        profile = make_clinician(windows=[(d, time(9), time(12)) for d in range(7)])
        AvailabilityException.objects.create(clinician=profile, date=local_slot(6, 9).date(), reason="holiday")
        return profile

    @pytest.mark.parametrize(
        ("start", "status", "code"),
        [
            (lambda: local_slot(-1, 9), 422, "start_in_past"),
            (lambda: local_slot(3, 8), 422, "outside_availability"),
            (lambda: local_slot(3, 12), 422, "outside_availability"),  # would end after 12:00
            (lambda: local_slot(3, 9, 10), 422, "outside_availability"),  # not on the 30-minute grid
            (lambda: local_slot(6, 9), 422, "day_off"),
            (lambda: local_slot(400, 9), 422, "too_far_ahead"),
        ],
    )
    def test_rejected_and_nothing_written(self, as_user, patient, clinician_profile, start, status, code):
        before = counts()
        response = book(as_user(patient), clinician_profile.user_id, start())
        assert response.status_code == status, response.json()
        assert response.json()["code"] == code
        assert counts() == before

    @pytest.mark.parametrize(
        ("body", "code"),
        [
            ({"start": "2030-13-45T25:00:00+01:00"}, "validation_error"),
            ({"start": "next tuesday"}, "validation_error"),
            ({"start": "2030-01-07T09:00:00"}, "naive_datetime"),
            ({"start": "2030-01-07T09:00:00+01:00", "status": "done"}, "validation_error"),  # unknown field
            ({"start": None}, "validation_error"),
        ],
    )
    def test_malformed_times_are_422(self, as_user, patient, clinician_profile, body, code):
        before = counts()
        response = as_user(patient).post("/api/v1/appointments", {"clinician_id": clinician_profile.user_id, **body})
        assert response.status_code == 422
        assert response.json()["code"] == code
        assert counts() == before

    def test_non_clinician_is_404(self, as_user, patient, clinician_profile):
        someone = UserFactory(role="patient")
        response = book(as_user(patient), someone.pk, local_slot(3, 9))
        assert response.status_code == 404
        assert response.json()["code"] == "clinician_not_found"

    def test_clinician_cannot_book_as_patient(self, as_user, clinician_profile):
        other = make_clinician()
        response = book(as_user(other.user), clinician_profile.user_id, local_slot(3, 9))
        assert response.status_code == 403

    def test_malformed_idempotency_key(self, as_user, patient, clinician_profile):
        response = book(as_user(patient), clinician_profile.user_id, local_slot(3, 9), key="x")
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_idempotency_key"
        assert Appointment.objects.count() == 0

    def test_malformed_json_is_400(self, as_user, patient):
        client = as_user(patient)
        response = client.client.post("/api/v1/appointments", "{not json", content_type="application/json", headers=client._headers(None))
        assert response.status_code in (400, 422)


class TestManage:
    @pytest.fixture
    def booked(self, as_user, patient):
        clinician = make_clinician()
        response = book(as_user(patient), clinician.user_id, local_slot(5, 10), reason="follow-up")
        assert response.status_code == 201
        return clinician, Appointment.objects.get(pk=response.json()["id"])

    def test_other_users_appointment_is_404_everywhere(self, as_user, booked):
        _, appointment = booked
        stranger = as_user(UserFactory(role="patient"))
        other_clinician = as_user(make_clinician().user)
        for client in (stranger, other_clinician):
            assert client.get(f"/api/v1/appointments/{appointment.pk}").status_code == 404
            assert client.post(f"/api/v1/appointments/{appointment.pk}/cancel").status_code == 404
            assert (
                client.post(f"/api/v1/appointments/{appointment.pk}/reschedule", {"start": local_slot(5, 11).isoformat()}).status_code
                == 404
            )
        appointment.refresh_from_db()
        assert appointment.status == "booked" and appointment.start == local_slot(5, 10)

    def test_lists_show_own_appointments_and_clinicians_schedule(self, as_user, patient, booked, admin_user):
        clinician, appointment = booked
        UserFactory(role="patient")
        assert [a["id"] for a in as_user(patient).get("/api/v1/appointments").json()["items"]] == [appointment.pk]
        schedule = as_user(clinician.user).get("/api/v1/appointments").json()
        assert schedule["count"] == 1 and schedule["items"][0]["patient"]["id"] == patient.pk
        # The clinician (Europe/Berlin) sees times with the Berlin offset.
        assert datetime.fromisoformat(schedule["items"][0]["start"]).utcoffset() == local_slot(5, 10).utcoffset()
        assert as_user(UserFactory(role="patient")).get("/api/v1/appointments").json()["count"] == 0
        assert as_user(admin_user).get("/api/v1/appointments").json()["count"] == 1

    def test_reschedule_moves_reminders_frees_old_slot_and_notifies_clinician(self, as_user, patient, booked):
        clinician, appointment = booked
        new_start = local_slot(6, 14)

        response = as_user(patient).post(f"/api/v1/appointments/{appointment.pk}/reschedule", {"start": new_start.isoformat()})

        assert response.status_code == 200
        assert datetime.fromisoformat(response.json()["start"]) == new_start
        group = Notification.objects.filter(group=f"appointment:{appointment.pk}")
        assert {n.due_at for n in group.filter(status="pending", user=patient)} == {
            new_start - timedelta(hours=24),
            new_start - timedelta(hours=1),
            new_start,
        }
        assert group.filter(status="cancelled").count() == 4
        assert Notification.objects.filter(user=clinician.user, kind="appointment_rescheduled").count() == 1
        # The old slot is free again for someone else.
        assert book(as_user(UserFactory(role="patient")), clinician.user_id, local_slot(5, 10)).status_code == 201

    def test_reschedule_to_taken_slot_is_409_and_keeps_everything(self, as_user, patient, booked):
        clinician, appointment = booked
        assert book(as_user(UserFactory(role="patient")), clinician.user_id, local_slot(5, 11)).status_code == 201
        before = (counts(), list(Notification.objects.values_list("status", flat=True).order_by("id")))
        response = as_user(patient).post(f"/api/v1/appointments/{appointment.pk}/reschedule", {"start": local_slot(5, 11).isoformat()})
        assert response.status_code == 409
        appointment.refresh_from_db()
        assert appointment.start == local_slot(5, 10)
        assert (counts(), list(Notification.objects.values_list("status", flat=True).order_by("id"))) == before

    def test_cancel_frees_slot_cancels_reminders_and_notifies_other_party(self, as_user, patient, booked):
        clinician, appointment = booked
        response = as_user(patient).post(f"/api/v1/appointments/{appointment.pk}/cancel")
        assert response.status_code == 200
        assert response.json()["status"] == "cancelled"
        assert BookedCell.objects.filter(appointment=appointment).count() == 0
        assert not Notification.objects.filter(group=f"appointment:{appointment.pk}", status="pending").exists()
        notice = Notification.objects.get(user=clinician.user, kind="appointment_cancelled")
        assert "follow-up" not in notice.body
        assert as_user(patient).post(f"/api/v1/appointments/{appointment.pk}/cancel").status_code == 409

    def test_patient_cannot_cancel_inside_cutoff_but_clinician_can(self, as_user, patient):
        clinician = make_clinician(time_zone="UTC", windows=[(d, time(0), time(23, 30)) for d in range(7)])
        soon = (timezone.now() + timedelta(hours=5)).replace(minute=0, second=0, microsecond=0)
        appointment_id = book(as_user(patient), clinician.user_id, soon).json()["id"]
        response = as_user(patient).post(f"/api/v1/appointments/{appointment_id}/cancel")
        assert response.status_code == 422 and response.json()["code"] == "cutoff_passed"
        with override_settings(APPOINTMENT_CHANGE_CUTOFF_HOURS=2):
            assert (
                as_user(patient)
                .post(f"/api/v1/appointments/{appointment_id}/reschedule", {"start": (soon + timedelta(hours=1)).isoformat()})
                .status_code
                == 200
            )
        assert as_user(clinician.user).post(f"/api/v1/appointments/{appointment_id}/cancel").status_code == 200
        assert Notification.objects.filter(user=patient, kind="appointment_cancelled").exists()

    def test_visit_status_by_clinician_after_start_only(self, as_user, patient, booked, admin_user):
        clinician, appointment = booked
        url = f"/api/v1/appointments/{appointment.pk}/status"
        early = as_user(clinician.user).post(url, {"status": "done"})
        assert early.status_code == 422 and early.json()["code"] == "not_started"
        Appointment.objects.filter(pk=appointment.pk).update(
            start=timezone.now() - timedelta(minutes=40), end=timezone.now() - timedelta(minutes=10)
        )
        assert as_user(patient).post(url, {"status": "done"}).status_code == 403
        assert as_user(clinician.user).post(url, {"status": "cancelled"}).status_code == 422
        assert as_user(clinician.user).post(url, {"status": "no_show"}).json()["status"] == "no_show"
        assert as_user(admin_user).post(url, {"status": "done"}).json()["status"] == "done"

    def test_admin_books_on_behalf_of_a_patient(self, as_user, patient, admin_user):
        clinician = make_clinician()
        response = book(as_user(admin_user), clinician.user_id, local_slot(3, 9), patient_id=patient.pk)
        assert response.status_code == 201
        assert response.json()["patient"]["id"] == patient.pk
        assert book(as_user(patient), clinician.user_id, local_slot(3, 10), patient_id=admin_user.pk).status_code == 403


def test_demo_seed_is_idempotent(db):
    from accounts import demo as accounts_demo
    from appointments import demo
    from appointments.models import ClinicianProfile, WeeklyAvailability

    accounts_demo.seed()
    demo.seed()
    demo.seed()
    assert ClinicianProfile.objects.count() == 2
    assert WeeklyAvailability.objects.count() == 21


class TestAccountDeletion:
    def test_patient_deleting_account_frees_slot_and_tells_clinician(self, as_user, patient):
        from tests.server.factories import DEFAULT_PASSWORD

        clinician = make_clinician()
        start = local_slot(4, 10)
        assert book(as_user(patient), clinician.user_id, start).status_code == 201

        response = as_user(patient).post("/api/v1/auth/delete-account", {"password": DEFAULT_PASSWORD})

        assert response.status_code == 204
        assert Appointment.objects.count() == 0 and BookedCell.objects.count() == 0
        assert Notification.objects.filter(user=clinician.user, kind="appointment_cancelled").count() == 1
        assert not Notification.objects.filter(user=clinician.user, status="pending", kind="appointment_reminder").exists()
        assert book(as_user(UserFactory(role="patient")), clinician.user_id, start).status_code == 201

    def test_clinician_with_appointments_cannot_delete_account(self, as_user, patient):
        from tests.server.factories import DEFAULT_PASSWORD

        clinician = make_clinician()
        assert book(as_user(patient), clinician.user_id, local_slot(4, 10)).status_code == 201
        response = as_user(clinician.user).post("/api/v1/auth/delete-account", {"password": DEFAULT_PASSWORD})
        assert response.status_code == 409
        assert response.json()["code"] == "clinician_has_appointments"
        assert Appointment.objects.count() == 1


def test_prune_drops_only_rows_that_guard_nothing(as_user, patient):
    from appointments.services import booking_rows_prune

    clinician = make_clinician()
    assert book(as_user(patient), clinician.user_id, local_slot(3, 10), key="prune-key-0001").status_code == 201
    cells = BookedCell.objects.count()

    assert booking_rows_prune() == (0, 0)
    assert BookedCell.objects.count() == cells
    # Eight days later the visit is long over: its cells and the key go.
    assert booking_rows_prune(now=timezone.now() + timedelta(days=8)) == (cells, 1)
    assert Appointment.objects.count() == 1
