"""Admin for clinician profiles, weekly availability, exceptions and appointments."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from appointments import services
from appointments.models import Appointment, AppointmentStatus, AvailabilityException, ClinicianProfile, WeeklyAvailability
from core.errors import ApplicationError


class WeeklyAvailabilityInline(admin.TabularInline):
    model = WeeklyAvailability
    extra = 0


class AvailabilityExceptionInline(admin.TabularInline):
    model = AvailabilityException
    extra = 0


@admin.register(ClinicianProfile)
class ClinicianProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "speciality", "clinic", "time_zone", "slot_minutes", "is_bookable"]
    list_filter = ["is_bookable", "time_zone", "speciality"]
    search_fields = ["user__email", "user__full_name", "clinic"]
    raw_id_fields = ["user"]
    inlines = [WeeklyAvailabilityInline, AvailabilityExceptionInline]


@admin.register(AvailabilityException)
class AvailabilityExceptionAdmin(admin.ModelAdmin):
    list_display = ["clinician", "date", "start_time", "end_time", "reason"]
    list_filter = ["date"]
    search_fields = ["clinician__user__email"]


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    """Bookings go through the API (the overlap check lives there); admin views them and cancels them."""

    list_display = ["id", "start", "end", "clinician", "patient", "status", "time_zone", "created_at"]
    list_filter = ["status", "time_zone"]
    search_fields = ["clinician__email", "patient__email"]
    date_hierarchy = "start"
    raw_id_fields = ["clinician", "patient", "cancelled_by"]
    readonly_fields = ["clinician", "patient", "start", "end", "time_zone", "revision", "created_at", "updated_at", "cancelled_at", "cancelled_by"]
    actions = ["cancel_appointments"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Cancel selected appointments (frees the slot, notifies both parties)")
    def cancel_appointments(self, request: HttpRequest, queryset: QuerySet[Appointment]) -> None:
        done = 0
        for appointment in queryset.filter(status=AppointmentStatus.BOOKED):
            try:
                services.appointment_cancel(actor=request.user, appointment_id=appointment.pk)  # type: ignore[arg-type]
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"#{appointment.pk}: {exc.message}", level=messages.WARNING)
        self.message_user(request, f"{done} appointment(s) cancelled.")
