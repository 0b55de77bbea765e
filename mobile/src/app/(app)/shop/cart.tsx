export { CartScreen as default } from '@/features/shop/screens/CartScreen';
