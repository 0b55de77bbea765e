export { HistoryScreen as default } from '@/features/screening/screens/HistoryScreen';
