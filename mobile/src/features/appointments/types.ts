/** Appointment types: aliases of the server's generated OpenAPI schemas. */
import type { components } from '@/api/schema';

type S = components['schemas'];

export type Clinician = S['ClinicianOut'];
export type ClinicianDetail = S['ClinicianDetailOut'];
export type Slot = S['SlotOut'];
export type SlotList = S['SlotListOut'];
export type Appointment = S['AppointmentOut'];
export type AppointmentStatus = 'booked' | 'cancelled' | 'done' | 'no_show';
