"""Clinician profiles, weekly availability with exceptions, appointments and the cells that forbid overlaps."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import validate_time_zone

# Every appointment boundary sits on this grid (minutes). An appointment occupies one BookedCell per
# grid cell for the clinician and one for the patient; a unique (user, cell) key then makes overlapping
# bookings of one person impossible in the database itself, on SQLite and MySQL/MariaDB alike.
CELL_MINUTES = 5


class ClinicianProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clinician_profile")
    speciality = models.CharField(max_length=120, default="Dermatology")
    clinic = models.CharField(max_length=160, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    slot_minutes = models.PositiveSmallIntegerField(default=30)
    is_bookable = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=CELL_MINUTES) & Q(slot_minutes__lte=240),
                name="clinicianprofile_slot_minutes_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.full_name or self.user.email} ({self.speciality})"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class WeeklyAvailability(models.Model):
    """A recurring window of wall-clock time in the clinician's time zone (e.g. Monday 09:00-12:00)."""

    clinician = models.ForeignKey(ClinicianProfile, on_delete=models.CASCADE, related_name="availability")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["clinician_id", "weekday", "start_time"]
        verbose_name_plural = "weekly availability"
        constraints = [
            models.CheckConstraint(condition=Q(start_time__lt=F("end_time")), name="weeklyavailability_start_before_end"),
            models.CheckConstraint(condition=Q(weekday__gte=0) & Q(weekday__lte=6), name="weeklyavailability_weekday_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class AvailabilityException(models.Model):
    """A day off (no times) or a blocked window on one local date of the clinician."""

    clinician = models.ForeignKey(ClinicianProfile, on_delete=models.CASCADE, related_name="exceptions")
    date = models.DateField()
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["clinician_id", "date", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(start_time__isnull=True) & Q(end_time__isnull=True))
                | (Q(start_time__isnull=False) & Q(end_time__isnull=False) & Q(start_time__lt=F("end_time"))),
                name="availabilityexception_whole_day_or_window",
            ),
        ]

    def __str__(self) -> str:
        if self.is_whole_day:
            return f"{self.date} day off"
        return f"{self.date} {self.start_time:%H:%M}-{self.end_time:%H:%M} blocked"

    @property
    def is_whole_day(self) -> bool:
        return self.start_time is None


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CANCELLED = "cancelled", "Cancelled"
    DONE = "done", "Done"
    NO_SHOW = "no_show", "No-show"


class Appointment(models.Model):
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="clinician_appointments")
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="patient_appointments")
    start = models.DateTimeField(db_index=True)  # UTC
    end = models.DateTimeField()  # UTC
    # The clinician's IANA zone when booked: the wall-clock the slot was offered in.
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    status = models.CharField(max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED)
    reason = models.TextField(blank=True, max_length=1000)
    # Bumped on every reschedule: reminder rows are keyed by it.
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["clinician", "start"]), models.Index(fields=["patient", "start"])]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="appointment_start_before_end"),
            models.CheckConstraint(condition=Q(status__in=[s.value for s in AppointmentStatus]), name="appointment_status_valid"),
            models.CheckConstraint(condition=~Q(clinician=F("patient")), name="appointment_not_self"),
        ]

    def __str__(self) -> str:
        return f"Appointment {self.pk} {self.start:%Y-%m-%d %H:%M}Z ({self.status})"


class BookedCell(models.Model):
    """One 5-minute cell of a person's time taken by an active appointment (see CELL_MINUTES)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    cell = models.DateTimeField()  # UTC, aligned to CELL_MINUTES
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="cells")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "cell"], name="bookedcell_one_appointment_per_person_and_time")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.cell:%Y-%m-%d %H:%M}Z"
