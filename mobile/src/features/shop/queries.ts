/** TanStack Query hooks for the shop. */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { unwrap } from '@/api/result';
import type { Page } from '@/api/types';
import { PAGE_SIZE, shopApi } from './api';
import { cart } from './cart';
import type { Category } from './types';

export const RQKEY_PRODUCTS = 'products';
export const RQKEY_ORDERS = 'orders';

function nextPage<T>(last: Page<T>, all: Page<T>[]): number | undefined {
  const loaded = all.reduce((n, p) => n + p.items.length, 0);
  return loaded < last.count && last.items.length === PAGE_SIZE ? all.length + 1 : undefined;
}

export function useProductsQuery(search: string, category: string | null) {
  return useInfiniteQuery({
    queryKey: [RQKEY_PRODUCTS, 'list', { search, category }],
    queryFn: async ({ pageParam }) => unwrap(await shopApi.products({ search, category: category ?? undefined, page: pageParam })),
    initialPageParam: 1,
    getNextPageParam: nextPage,
  });
}

export function useCategoriesQuery() {
  return useQuery({
    queryKey: [RQKEY_PRODUCTS, 'categories'],
    queryFn: async (): Promise<Category[]> => unwrap(await shopApi.categories()),
    staleTime: 5 * 60_000,
  });
}

/** The clinic's phone, VAT rate and change cutoff: rarely changes, so kept for an hour. */
export function useClinicQuery() {
  return useQuery({ queryKey: ['clinic'], queryFn: async () => unwrap(await shopApi.clinic()), staleTime: 60 * 60_000 });
}

export function useProductQuery(id: number) {
  return useQuery({ queryKey: [RQKEY_PRODUCTS, 'detail', id], queryFn: async () => unwrap(await shopApi.product(id)) });
}

export function useOrdersQuery() {
  return useInfiniteQuery({
    queryKey: [RQKEY_ORDERS, 'list'],
    queryFn: async ({ pageParam }) => unwrap(await shopApi.orders(pageParam)),
    initialPageParam: 1,
    getNextPageParam: nextPage,
  });
}

export function useOrderQuery(id: number) {
  return useQuery({ queryKey: [RQKEY_ORDERS, 'detail', id], queryFn: async () => unwrap(await shopApi.order(id)) });
}

/** Checkout with the cart's idempotency key; the cart empties only when the order exists. */
export function useCheckoutMutation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      const current = cart.get();
      const key = cart.checkoutKey();
      return shopApi.createOrder(current.lines.map((l) => ({ product_id: l.product_id, quantity: l.quantity })), key);
    },
    onSuccess: (result) => {
      if (result.kind !== 'ok') return;
      cart.clear();
      queryClient.setQueryData([RQKEY_ORDERS, 'detail', result.data.id], result.data);
      void queryClient.invalidateQueries({ queryKey: [RQKEY_ORDERS, 'list'] });
      void queryClient.invalidateQueries({ queryKey: [RQKEY_PRODUCTS] });
    },
  });
}

export function useCancelOrderMutation(id: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => shopApi.cancelOrder(id),
    onSuccess: (result) => {
      if (result.kind === 'ok') queryClient.setQueryData([RQKEY_ORDERS, 'detail', id], result.data);
      void queryClient.invalidateQueries({ queryKey: [RQKEY_ORDERS, 'list'] });
    },
  });
}
