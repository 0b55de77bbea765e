export { LesionTimelineScreen as default } from '@/features/lesions/screens/LesionTimelineScreen';
