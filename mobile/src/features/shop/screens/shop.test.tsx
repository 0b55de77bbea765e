import { fireEvent, screen, waitFor } from '@testing-library/react-native';
import { router } from 'expo-router';

import { __test__, cart } from '../cart';
import { CartScreen } from './CartScreen';
import { CatalogueScreen } from './CatalogueScreen';
import { fakeServer, page, renderApp, signedIn } from '@/test/utils';

const product = { id: 11, sku: 'SPF50', name: 'SPF 50 cream', description: 'Broad spectrum', price_minor: 1299, currency: 'EUR', stock: 4, category: 'sun', image_url: null, active: true };
const order = { id: 99, number: 'SS-1', status: 'paid', currency: 'EUR', subtotal_minor: 2598, tax_minor: 494, total_minor: 3092, tax_rate_percent: 19, lines: [], created_at: '2026-11-25T10:00:00Z', updated_at: '2026-11-25T10:00:00Z' };

beforeEach(async () => {
  __test__.resetMemory();
  cart.clear();
  await signedIn();
});

describe('CatalogueScreen', () => {
  it('shows a loading state, then the products with prices', async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/products', page([product]));
    server.on('GET', '/api/v1/categories', { status: 200, body: [{ id: 1, slug: 'sun', name: 'Sun care' }] });
    renderApp(<CatalogueScreen />);

    expect(screen.getByTestId('state-loading')).toBeTruthy();
    expect(await screen.findByTestId('product-11')).toHaveTextContent(/SPF 50 cream.*€12\.99/);
    expect(screen.getByTestId('category-sun')).toBeTruthy();
  });

  it('shows the empty state', async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/products', page([]));
    server.on('GET', '/api/v1/categories', { status: 200, body: [] });
    renderApp(<CatalogueScreen />);
    expect(await screen.findByTestId('state-empty')).toHaveTextContent(/No products found/);
  });

  it('shows the offline state and recovers on retry', async () => {
    const server = fakeServer();
    let online = false;
    server.on('GET', '/api/v1/products', () => (online ? page([product]) : 'offline'));
    server.on('GET', '/api/v1/categories', { status: 200, body: [] });
    renderApp(<CatalogueScreen />);

    expect(await screen.findByTestId('state-offline')).toHaveTextContent(/offline/i);
    online = true;
    fireEvent.press(screen.getByTestId('state-retry'));
    expect(await screen.findByTestId('product-11')).toBeTruthy();
  });

  it('shows a server error', async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/products', { status: 500, body: { detail: 'boom', code: 'server_error' } });
    server.on('GET', '/api/v1/categories', { status: 200, body: [] });
    renderApp(<CatalogueScreen />);
    expect(await screen.findByTestId('state-error', {}, { timeout: 4000 })).toHaveTextContent(/server had a problem/);
  });
});

describe('CartScreen checkout', () => {
  it('is empty with a way back to the shop', () => {
    fakeServer();
    renderApp(<CartScreen />);
    expect(screen.getByTestId('state-empty')).toHaveTextContent(/cart is empty/);
  });

  it('shows the VAT and the total before the order is placed, at the rate the clinic states', async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/clinic', { status: 200, body: { name: 'C', address: 'A', phone: '1', tax_rate_percent: '19.00', appointment_change_cutoff_hours: 24 } });
    cart.add(product, 2);
    renderApp(<CartScreen />);

    expect(await screen.findByTestId('cart-tax')).toHaveTextContent('€4.94');
    expect(screen.getByTestId('cart-subtotal')).toHaveTextContent('€25.98');
    // The same figures the order then shows (order fixture: 2598 + 494 = 3092).
    expect(screen.getByTestId('cart-total')).toHaveTextContent('€30.92');
    expect(screen.getByText('VAT 19%')).toBeTruthy();
  });

  it("stops + at the product's stock", () => {
    fakeServer();
    cart.add(product, 3); // 4 in stock
    renderApp(<CartScreen />);

    fireEvent.press(screen.getByLabelText('One more SPF 50 cream'));
    expect(screen.getByTestId('cart-qty-11')).toHaveTextContent('4');
    expect(screen.getByTestId('cart-plus-11')).toBeDisabled();
    fireEvent.press(screen.getByLabelText('One more SPF 50 cream'));
    expect(screen.getByTestId('cart-qty-11')).toHaveTextContent('4');
    expect(screen.getByTestId('cart-stock-11')).toHaveTextContent('Only 4 in stock.');
  });

  it('changes quantities and removes lines through labelled buttons, updating the subtotal', () => {
    fakeServer();
    cart.add(product, 1);
    renderApp(<CartScreen />);

    fireEvent.press(screen.getByLabelText('One more SPF 50 cream'));
    expect(screen.getByTestId('cart-qty-11')).toHaveTextContent('2');
    expect(screen.getByTestId('cart-subtotal')).toHaveTextContent(/€25\.98/);
    fireEvent.press(screen.getByLabelText('Remove SPF 50 cream'));
    expect(screen.getByTestId('state-empty')).toBeTruthy();
  });

  it('retries an offline checkout with the same idempotency key, then empties the cart and opens the order', async () => {
    const server = fakeServer();
    let attempts = 0;
    server.on('POST', '/api/v1/orders', () => (++attempts === 1 ? 'offline' : { status: 201, body: order }));
    cart.add(product, 2);
    renderApp(<CartScreen />);

    fireEvent.press(screen.getByTestId('checkout'));
    expect(await screen.findByTestId('checkout-error')).toHaveTextContent(/offline/i);
    expect(cart.get().lines).toHaveLength(1);

    fireEvent.press(screen.getByTestId('checkout'));
    await waitFor(() => expect(router.replace).toHaveBeenCalledWith({ pathname: '/shop/orders/[id]', params: { id: '99' } }));
    const posts = server.calls.filter((c) => c.path === '/api/v1/orders');
    expect(posts).toHaveLength(2);
    expect(posts[0]!.headers['Idempotency-Key']).toBe(posts[1]!.headers['Idempotency-Key']);
    expect(posts[0]!.body).toEqual({ items: [{ product_id: 11, quantity: 2 }] });
    expect(cart.get().lines).toEqual([]);
  });

  it('keeps the cart and explains an out-of-stock conflict', async () => {
    const server = fakeServer();
    server.on('POST', '/api/v1/orders', { status: 409, body: { detail: 'Only 1 of SPF 50 cream left.', code: 'out_of_stock' } });
    cart.add(product, 2);
    renderApp(<CartScreen />);

    fireEvent.press(screen.getByTestId('checkout'));

    expect(await screen.findByTestId('checkout-error')).toHaveTextContent('Only 1 of SPF 50 cream left.');
    expect(cart.get().lines[0]!.quantity).toBe(2);
    expect(router.replace).not.toHaveBeenCalled();
  });
});
