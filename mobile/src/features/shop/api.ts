/** Shop endpoints: catalogue, orders (idempotent checkout) and receipts. */
import { api } from '@/api';
import { route, type Page } from '@/api/types';
import type { Category, Clinic, Order, Product } from './types';

export const PAGE_SIZE = 20;

export const shopApi = {
  products: (params: { search?: string; category?: string; page?: number }) =>
    api.get<Page<Product>>(route('/api/v1/products'), { query: { ...params, page_size: PAGE_SIZE } }),
  product: (id: number) => api.get<Product>(route('/api/v1/products/{product_id}', { product_id: id })),
  clinic: () => api.get<Clinic>(route('/api/v1/clinic')),
  categories: () => api.get<Category[]>(route('/api/v1/categories')),
  createOrder: (items: { product_id: number; quantity: number }[], idempotencyKey: string) =>
    api.post<Order>(route('/api/v1/orders'), { items }, { headers: { 'Idempotency-Key': idempotencyKey } }),
  orders: (page: number) => api.get<Page<Order>>(route('/api/v1/orders'), { query: { page, page_size: PAGE_SIZE } }),
  order: (id: number) => api.get<Order>(route('/api/v1/orders/{order_id}', { order_id: id })),
  cancelOrder: (id: number) => api.post<Order>(route('/api/v1/orders/{order_id}/cancel', { order_id: id })),
  receipt: (id: number) =>
    api.get<ArrayBuffer>(route('/api/v1/orders/{order_id}/receipt.pdf', { order_id: id }), { responseType: 'arrayBuffer', headers: { Accept: 'application/pdf' } }),
};
