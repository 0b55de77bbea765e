export { EditProfileScreen as default } from '@/features/auth/screens/EditProfileScreen';
