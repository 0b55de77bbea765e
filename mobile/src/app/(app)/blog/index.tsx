export { PostListScreen as default } from '@/features/blog/screens/PostListScreen';
