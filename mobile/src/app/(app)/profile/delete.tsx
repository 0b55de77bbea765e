export { DeleteAccountScreen as default } from '@/features/auth/screens/DeleteAccountScreen';
