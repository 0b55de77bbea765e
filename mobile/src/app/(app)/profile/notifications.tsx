export { NotificationsScreen as default } from '@/features/notifications/screens/NotificationsScreen';
