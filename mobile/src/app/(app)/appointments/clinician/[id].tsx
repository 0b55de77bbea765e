export { BookScreen as default } from '@/features/appointments/screens/BookScreen';
