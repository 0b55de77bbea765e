export { ShareScreen as default } from '@/features/screening/screens/ShareScreen';
