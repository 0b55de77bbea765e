export { NewLesionScreen as default } from '@/features/lesions/screens/NewLesionScreen';
