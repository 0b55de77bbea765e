export { CliniciansScreen as default } from '@/features/appointments/screens/CliniciansScreen';
