"""Machine-readable error codes of the appointments API."""

from enum import StrEnum


class AppointmentsError(StrEnum):
    CLINICIAN_NOT_FOUND = "clinician_not_found"
    APPOINTMENT_NOT_FOUND = "appointment_not_found"
    NOT_A_PATIENT = "not_a_patient"
    PATIENT_NOT_FOUND = "patient_not_found"
    START_IN_PAST = "start_in_past"
    TOO_FAR_AHEAD = "too_far_ahead"
    NAIVE_DATETIME = "naive_datetime"
    INVALID_TIME_ZONE = "invalid_time_zone"
    INVALID_RANGE = "invalid_range"
    OUTSIDE_AVAILABILITY = "outside_availability"
    DAY_OFF = "day_off"
    SLOT_TAKEN = "slot_taken"
    PATIENT_BUSY = "patient_busy"
    NOT_BOOKED = "not_booked"
    CUTOFF_PASSED = "cutoff_passed"
    NOT_STARTED = "not_started"
    INVALID_STATUS = "invalid_status"
    INVALID_AVAILABILITY = "invalid_availability"
    EXCEPTION_NOT_FOUND = "exception_not_found"
    CLINICIAN_HAS_APPOINTMENTS = "clinician_has_appointments"
