"""The Django admin pages for clinicians, availability, appointments and notification rows render and act."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from appointments.models import Appointment
from notifications.models import Notification
from tests.server.appointments.factories import make_clinician

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def test_admin_pages_render(admin_client_, as_user, patient):
    profile = make_clinician(time_zone="UTC")
    start = datetime.combine(timezone.now().date() + timedelta(days=3), time(10), tzinfo=timezone.get_fixed_timezone(0))
    appointment_id = as_user(patient).post("/api/v1/appointments", {"clinician_id": profile.user_id, "start": start.isoformat()}).json()["id"]
    notification = Notification.objects.first()
    for url in (
        "/admin/appointments/clinicianprofile/",
        f"/admin/appointments/clinicianprofile/{profile.pk}/change/",
        "/admin/appointments/availabilityexception/",
        "/admin/appointments/appointment/",
        f"/admin/appointments/appointment/{appointment_id}/change/",
        "/admin/notifications/notification/",
        f"/admin/notifications/notification/{notification.pk}/change/",
        "/admin/notifications/device/",
    ):
        assert admin_client_.get(url).status_code == 200, url


def test_admin_cancel_action_frees_slot_and_notifies(admin_client_, as_user, patient):
    profile = make_clinician(time_zone="UTC")
    start = datetime.combine(timezone.now().date() + timedelta(days=3), time(11), tzinfo=timezone.get_fixed_timezone(0))
    appointment_id = as_user(patient).post("/api/v1/appointments", {"clinician_id": profile.user_id, "start": start.isoformat()}).json()["id"]

    response = admin_client_.post(
        "/admin/appointments/appointment/", {"action": "cancel_appointments", "_selected_action": [appointment_id]}, follow=True
    )

    assert response.status_code == 200
    assert Appointment.objects.get(pk=appointment_id).status == "cancelled"
    assert Notification.objects.filter(kind="appointment_cancelled").count() == 2  # admin acted: both parties told
