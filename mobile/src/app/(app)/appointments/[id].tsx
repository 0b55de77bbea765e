export { AppointmentScreen as default } from '@/features/appointments/screens/AppointmentScreen';
