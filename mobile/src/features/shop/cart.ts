/**
 * The cart: persisted (AsyncStorage, zod schema with migrations), shared through a tiny store.
 * It also keeps the checkout's idempotency key, so a retried checkout (timeout, app restart)
 * cannot create a second order; any change to the cart starts a new key.
 */
import { useSyncExternalStore } from 'react';
import { z } from 'zod';

import { uuid4 } from '@/lib/id';
import { readJson, remove, writeJson } from '@/lib/persisted';
import type { Product } from './types';

export const CART_KEY = 'skinscreen.cart';
export const MAX_QUANTITY = 100;

const lineSchema = z.object({
  product_id: z.number().int().positive(),
  name: z.string(),
  price_minor: z.number().int().nonnegative(),
  currency: z.string(),
  quantity: z.number().int().min(1).max(MAX_QUANTITY),
  /** Stock when the product was last seen (optional: carts saved before it was recorded have none). */
  stock: z.number().int().nonnegative().optional(),
});
const cartSchema = z.object({
  version: z.literal(2),
  lines: z.array(lineSchema),
  checkoutKey: z.string().nullable(),
});
export type CartLine = z.infer<typeof lineSchema>;
export type Cart = z.infer<typeof cartSchema>;

const EMPTY: Cart = { version: 2, lines: [], checkoutKey: null };

/** Bring any stored shape up to the current one; unknown or corrupt data becomes an empty cart. */
export function migrateCart(raw: unknown): Cart {
  if (raw && typeof raw === 'object' && !Array.isArray(raw) && (raw as { version?: unknown }).version === 1) {
    // v1 had `items` and no idempotency key.
    raw = { version: 2, lines: (raw as { items?: unknown }).items ?? [], checkoutKey: null };
  }
  const parsed = cartSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  // Keep the lines that are still valid rather than dropping the whole cart.
  if (raw && typeof raw === 'object' && Array.isArray((raw as { lines?: unknown }).lines)) {
    const lines = ((raw as { lines: unknown[] }).lines).flatMap((l) => {
      const ok = lineSchema.safeParse(l);
      return ok.success ? [ok.data] : [];
    });
    return { ...EMPTY, lines };
  }
  return EMPTY;
}

let state: Cart = EMPTY;
let loaded = false;
let loading: Promise<void> | null = null;
const listeners = new Set<() => void>();

function emit(next: Cart) {
  state = next;
  listeners.forEach((l) => l());
  void writeJson(CART_KEY, next);
}

export function loadCart(): Promise<void> {
  if (loaded) return Promise.resolve();
  loading ??= readJson(CART_KEY).then((raw) => {
    // Changes made before the stored cart arrived win over it.
    const stored = migrateCart(raw);
    const replace = !loaded && state.lines.length === 0 && stored.lines.length > 0;
    if (replace) state = stored;
    loaded = true;
    if (replace) listeners.forEach((l) => l());
  });
  return loading;
}

function changeLines(lines: CartLine[]) {
  emit({ ...state, lines, checkoutKey: null });
}

export const cart = {
  get: () => state,
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  /** Add to the cart, never past the stock the product showed (nor MAX_QUANTITY); returns how many the cart now holds. */
  add(product: Pick<Product, 'id' | 'name' | 'price_minor' | 'currency'> & { stock?: number }, quantity = 1): number {
    const existing = state.lines.find((l) => l.product_id === product.id);
    const stock = product.stock ?? existing?.stock;
    const wanted = Math.min(maxQuantity(stock), (existing?.quantity ?? 0) + quantity);
    if (wanted <= 0) return existing?.quantity ?? 0;
    const line = { product_id: product.id, name: product.name, price_minor: product.price_minor, currency: product.currency, quantity: wanted, ...(stock === undefined ? {} : { stock }) };
    changeLines(existing ? state.lines.map((l) => (l.product_id === product.id ? line : l)) : [...state.lines, line]);
    return wanted;
  },
  setQuantity(productId: number, quantity: number) {
    if (quantity <= 0) return cart.remove(productId);
    changeLines(state.lines.map((l) => (l.product_id === productId ? { ...l, quantity: Math.min(maxQuantity(l.stock), quantity) } : l)));
  },
  remove(productId: number) {
    changeLines(state.lines.filter((l) => l.product_id !== productId));
  },
  /** The key for this cart's checkout: the same until the cart changes or the order succeeds. */
  checkoutKey(): string {
    if (state.checkoutKey) return state.checkoutKey;
    const key = uuid4();
    emit({ ...state, checkoutKey: key });
    return key;
  },
  clear() {
    emit(EMPTY);
  },
  /** Sign-out: forget the cart on this device. */
  async reset() {
    state = EMPTY;
    listeners.forEach((l) => l());
    await remove(CART_KEY);
  },
};

/** The most of one product a line may hold: its known stock, and never more than MAX_QUANTITY. */
export function maxQuantity(stock: number | undefined): number {
  return Math.min(MAX_QUANTITY, stock ?? MAX_QUANTITY);
}

/**
 * VAT on a net subtotal as the server charges it (shop/money.py tax_for): rate in percent as the
 * server's decimal string ("19.00"), rounded half up to a whole minor unit. Integer arithmetic only.
 */
export function taxFor(subtotalMinor: number, ratePercent: string): number | null {
  if (!/^\d{1,2}(\.\d{1,2})?$/.test(ratePercent)) return null;
  const [whole, frac = ''] = ratePercent.split('.');
  const basisPoints = Number(whole) * 100 + Number(frac.padEnd(2, '0'));
  return Math.floor((subtotalMinor * basisPoints + 5000) / 10000);
}

export function cartCount(c: Cart): number {
  return c.lines.reduce((n, l) => n + l.quantity, 0);
}

export function cartSubtotal(c: Cart): number {
  return c.lines.reduce((n, l) => n + l.quantity * l.price_minor, 0);
}

export function useCart(): Cart {
  return useSyncExternalStore(cart.subscribe, cart.get, cart.get);
}

export const __test__ = {
  resetMemory() {
    state = EMPTY;
    loaded = false;
    loading = null;
  },
};
