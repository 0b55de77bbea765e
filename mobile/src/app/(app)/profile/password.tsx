export { ChangePasswordScreen as default } from '@/features/auth/screens/ChangePasswordScreen';
