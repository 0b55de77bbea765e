export { DetailScreen as default } from '@/features/screening/screens/DetailScreen';
