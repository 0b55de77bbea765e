export { MyAppointmentsScreen as default } from '@/features/appointments/screens/MyAppointmentsScreen';
