/** Appointment types (mirror the server's schemas; checked against schema.d.ts in api-contract.ts). */
export type Clinician = { id: number; full_name: string; speciality: string; clinic: string; time_zone: string };
export type Slot = { start: string; end: string };
export type AppointmentStatus = 'booked' | 'cancelled' | 'done' | 'no_show';
export type Appointment = {
  id: number;
  clinician: Clinician;
  patient: { id: number; full_name: string };
  start: string;
  end: string;
  status: AppointmentStatus | string;
  reason: string;
  created_at: string;
};
