"""Appointments: clinician profiles, weekly availability, bookable slots and bookings."""

from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "appointments"
    default_auto_field = "django.db.models.BigAutoField"
