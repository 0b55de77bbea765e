export { NewScreeningScreen as default } from '@/features/screening/screens/NewScreeningScreen';
