export { ProductScreen as default } from '@/features/shop/screens/ProductScreen';
