export { LesionsScreen as default } from '@/features/lesions/screens/LesionsScreen';
