export { ProfileScreen as default } from '@/features/auth/screens/ProfileScreen';
