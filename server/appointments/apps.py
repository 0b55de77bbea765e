"""Appointments: clinician profiles, weekly availability, bookable slots and bookings."""

from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "appointments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import hooks
        from appointments.services import appointments_on_user_delete

        if appointments_on_user_delete not in hooks.delete_hooks:
            hooks.delete_hooks.append(appointments_on_user_delete)
