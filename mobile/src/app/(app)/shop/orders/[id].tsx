export { OrderScreen as default } from '@/features/shop/screens/OrderScreen';
