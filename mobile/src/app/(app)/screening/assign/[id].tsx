export { AssignLesionScreen as default } from '@/features/lesions/screens/AssignLesionScreen';
