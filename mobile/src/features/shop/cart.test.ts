import AsyncStorage from '@react-native-async-storage/async-storage';

import { __test__, CART_KEY, cart, cartCount, cartSubtotal, loadCart, migrateCart, taxFor } from './cart';

const cream = { id: 1, name: 'SPF 50 cream', price_minor: 1299, currency: 'EUR' };
const ruler = { id: 2, name: 'Lesion rulers', price_minor: 650, currency: 'EUR' };

beforeEach(async () => {
  __test__.resetMemory();
  await AsyncStorage.clear();
});

describe('cart', () => {
  it('adds, merges and totals lines, capping quantities', () => {
    cart.add(cream);
    cart.add(cream, 2);
    cart.add(ruler, 500);
    const c = cart.get();
    expect(c.lines.map((l) => [l.product_id, l.quantity])).toEqual([[1, 3], [2, 100]]);
    expect(cartCount(c)).toBe(103);
    expect(cartSubtotal(c)).toBe(3 * 1299 + 100 * 650);
  });

  it('never holds more than the stock the product showed, however it is added', () => {
    cart.add({ ...cream, stock: 3 }, 2);
    cart.add({ ...cream, stock: 3 }, 2);
    expect(cart.get().lines[0]!.quantity).toBe(3);
    cart.setQuantity(1, 10);
    expect(cart.get().lines[0]!.quantity).toBe(3);
    cart.add({ ...ruler, stock: 0 });
    expect(cart.get().lines.map((l) => l.product_id)).toEqual([1]);
  });

  it.each([
    [2598, '19.00', 494],
    [1000, '7.70', 77],
    [50, '19.00', 10], // 9.5 rounds half up, as the server does
    [1234, '0', 0],
    [1234, 'abc', null],
  ])('taxFor(%p, %p) = %p', (subtotal, rate, tax) => {
    expect(taxFor(subtotal, rate)).toBe(tax);
  });

  it('keeps one idempotency key per cart and starts a new one when the cart changes', () => {
    cart.add(cream);
    const first = cart.checkoutKey();
    expect(cart.checkoutKey()).toBe(first); // a retried checkout reuses it
    cart.setQuantity(1, 2);
    const second = cart.checkoutKey();
    expect(second).not.toBe(first);
    expect(second).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('persists to storage and loads back, including the pending checkout key', async () => {
    cart.add(ruler, 2);
    const key = cart.checkoutKey();
    await new Promise((r) => setTimeout(r, 0));
    const stored = JSON.parse((await AsyncStorage.getItem(CART_KEY))!);
    expect(stored).toMatchObject({ version: 2, checkoutKey: key, lines: [{ product_id: 2, quantity: 2 }] });

    __test__.resetMemory();
    await loadCart();
    expect(cart.get().lines).toHaveLength(1);
    expect(cart.checkoutKey()).toBe(key);
  });

  it('migrates v1 carts and drops corrupt lines instead of the whole cart', () => {
    expect(migrateCart({ version: 1, items: [{ product_id: 3, name: 'Gel', price_minor: 500, currency: 'EUR', quantity: 1 }] })).toEqual({
      version: 2,
      checkoutKey: null,
      lines: [{ product_id: 3, name: 'Gel', price_minor: 500, currency: 'EUR', quantity: 1 }],
    });
    const mixed = migrateCart({ version: 2, checkoutKey: 5, lines: [{ product_id: 3, name: 'Gel', price_minor: 500, currency: 'EUR', quantity: 1 }, { product_id: 'x' }] });
    expect(mixed.lines).toHaveLength(1);
    expect(migrateCart('garbage')).toEqual({ version: 2, lines: [], checkoutKey: null });
    expect(migrateCart(null).lines).toEqual([]);
  });

  it('forgets everything on reset (sign-out)', async () => {
    cart.add(cream);
    await cart.reset();
    expect(cart.get().lines).toEqual([]);
    expect(await AsyncStorage.getItem(CART_KEY)).toBeNull();
  });
});
