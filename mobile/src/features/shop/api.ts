/** Shop endpoints: catalogue, orders (idempotent checkout) and receipts. */
import { api } from '@/api';
import type { Page } from '@/api/types';
import type { Category, Order, Product } from './types';

export const PAGE_SIZE = 20;

export const shopApi = {
  products: (params: { search?: string; category?: string; page?: number }) =>
    api.get<Page<Product>>('/api/v1/products', { query: { ...params, page_size: PAGE_SIZE } }),
  product: (id: number) => api.get<Product>(`/api/v1/products/${id}`),
  categories: () => api.get<Category[] | Page<Category>>('/api/v1/categories'),
  createOrder: (items: { product_id: number; quantity: number }[], idempotencyKey: string) =>
    api.post<Order>('/api/v1/orders', { items }, { headers: { 'Idempotency-Key': idempotencyKey } }),
  orders: (page: number) => api.get<Page<Order>>('/api/v1/orders', { query: { page, page_size: PAGE_SIZE } }),
  order: (id: number) => api.get<Order>(`/api/v1/orders/${id}`),
  cancelOrder: (id: number) => api.post<Order>(`/api/v1/orders/${id}/cancel`),
  receipt: (id: number) => api.get<ArrayBuffer>(`/api/v1/orders/${id}/receipt.pdf`, { responseType: 'arrayBuffer', headers: { Accept: 'application/pdf' } }),
};
