export { QueueScreen as default } from '@/features/screening/screens/QueueScreen';
