export { CatalogueScreen as default } from '@/features/shop/screens/CatalogueScreen';
