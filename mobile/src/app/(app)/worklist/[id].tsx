export { ReviewScreen as default } from '@/features/clinician/screens/ReviewScreen';
