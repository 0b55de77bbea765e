export { PostScreen as default } from '@/features/blog/screens/PostScreen';
