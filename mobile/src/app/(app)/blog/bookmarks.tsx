export { BookmarksScreen as default } from '@/features/blog/screens/BookmarksScreen';
