export { ResultScreen as default } from '@/features/screening/screens/ResultScreen';
