export { OrdersScreen as default } from '@/features/shop/screens/OrdersScreen';
