export { WorklistScreen as default } from '@/features/clinician/screens/WorklistScreen';
