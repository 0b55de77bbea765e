import { fireEvent, screen } from '@testing-library/react-native';
import { useLocalSearchParams } from 'expo-router';
import * as Sharing from 'expo-sharing';

import { OrderScreen } from './OrderScreen';
import { fakeServer, renderApp, signedIn } from '@/test/utils';

const written: { name: string; bytes: Uint8Array }[] = [];

jest.mock('expo-file-system', () => ({
  Paths: { cache: { uri: 'file:///cache/' } },
  File: class {
    uri: string;
    name: string;
    exists = false;
    constructor(dir: { uri: string }, name: string) {
      this.uri = `${dir.uri}${name}`;
      this.name = name;
    }
    create() {}
    delete() {}
    write(bytes: Uint8Array) {
      written.push({ name: this.name, bytes });
    }
  },
}));

jest.mock('expo-sharing', () => ({ isAvailableAsync: jest.fn(async () => true), shareAsync: jest.fn(async () => undefined) }));

const order = {
  id: 9,
  number: 'SS-261125-AB',
  status: 'paid',
  currency: 'EUR',
  subtotal_minor: 1300,
  tax_minor: 247,
  total_minor: 1547,
  tax_rate_percent: 19,
  lines: [{ product_id: 1, name: 'SPF 50 cream', quantity: 1, unit_price_minor: 1300, line_total_minor: 1300 }],
  created_at: '2026-11-25T10:00:00Z',
  updated_at: '2026-11-25T10:00:00Z',
};

beforeEach(async () => {
  written.length = 0;
  await signedIn();
  jest.mocked(useLocalSearchParams).mockReturnValue({ id: '9' });
});

describe('OrderScreen', () => {
  it('shows the server totals and shares the downloaded receipt PDF', async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/orders/9', { status: 200, body: order });
    const pdf = '%PDF-1.4 test';
    global.fetch = jest.fn(async (input: RequestInfo | URL) =>
      String(input).endsWith('/receipt.pdf') ? new Response(pdf, { status: 200, headers: { 'Content-Type': 'application/pdf' } }) : new Response(JSON.stringify(order), { status: 200 }),
    ) as typeof fetch;
    void server;
    renderApp(<OrderScreen />);

    expect(await screen.findByTestId('order-total')).toHaveTextContent('€15.47');
    fireEvent.press(screen.getByTestId('download-receipt'));

    expect(await screen.findByTestId('order-message')).toHaveTextContent('Receipt downloaded.');
    expect(written[0]!.name).toBe('receipt-SS-261125-AB.pdf');
    expect(new TextDecoder().decode(written[0]!.bytes)).toBe(pdf);
    expect(Sharing.shareAsync).toHaveBeenCalledWith('file:///cache/receipt-SS-261125-AB.pdf', expect.objectContaining({ mimeType: 'application/pdf' }));
  });

  it('says when the receipt is not ready yet', async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/orders/9', { status: 200, body: order });
    server.on('GET', '/api/v1/orders/9/receipt.pdf', { status: 404, body: { detail: 'Receipt not ready', code: 'receipt_not_ready' } });
    renderApp(<OrderScreen />);

    fireEvent.press(await screen.findByTestId('download-receipt'));

    expect(await screen.findByTestId('order-message')).toHaveTextContent(/not ready yet/);
    expect(Sharing.shareAsync).not.toHaveBeenCalled();
  });

  it('cancels the order only after the user confirms', async () => {
    const server = fakeServer();
    let current = order;
    server.on('GET', '/api/v1/orders/9', () => ({ status: 200, body: current }));
    server.on('POST', '/api/v1/orders/9/cancel', () => {
      current = { ...order, status: 'cancelled' };
      return { status: 200, body: current };
    });
    renderApp(<OrderScreen />);

    fireEvent.press(await screen.findByTestId('cancel-order'));
    expect(screen.getByTestId('cancel-order-question')).toHaveTextContent('Cancel order SS-261125-AB (€15.47)? This cannot be undone.');
    fireEvent.press(screen.getByTestId('cancel-order-no'));
    expect(server.calls.filter((c) => c.method === 'POST')).toHaveLength(0);

    fireEvent.press(screen.getByTestId('cancel-order'));
    fireEvent.press(screen.getByTestId('cancel-order-yes'));

    expect(await screen.findByTestId('order-message')).toHaveTextContent('Order cancelled.');
    expect(server.calls.filter((c) => c.method === 'POST' && c.path === '/api/v1/orders/9/cancel')).toHaveLength(1);
  });
});
