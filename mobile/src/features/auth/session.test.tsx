import { fireEvent, screen, waitFor } from '@testing-library/react-native';
import { Text } from 'react-native';

import { ProfileScreen } from './screens/ProfileScreen';
import { useSession } from './session';
import { api } from '@/api';
import { cart } from '@/features/shop/cart';
import { wireFeatures } from '@/features/wiring';
import type { OutboxRow } from '@/features/screening/outboxStore';
import type * as OutboxStorage from '@/features/screening/outboxStorage';
import { fakeServer, renderApp, signedIn, user } from '@/test/utils';

// The device's screening outbox on sql.js (expo-sqlite needs a native build): one database for the file.
jest.mock('@/features/screening/outboxStorage', () => {
  let storage: ReturnType<typeof OutboxStorage.openOutboxStorage> | undefined;
  return { openOutboxStorage: () => (storage ??= jest.requireActual('@/test/outboxStorage').memoryOutboxStorage()) };
});
const outboxStorage = () => jest.requireMock<typeof OutboxStorage>('@/features/screening/outboxStorage').openOutboxStorage();

/** A screening taken on this device that the server does not have yet. */
async function queueScreening(clientUuid: string) {
  const { store, vault } = await outboxStorage();
  const row: OutboxRow = {
    clientUuid,
    capturedAt: '2026-12-04T10:00:00.000Z',
    photoUri: await vault.keep(clientUuid, 'blob:http://app/photo', 'image/jpeg'),
    mimeType: 'image/jpeg',
    bodySite: '',
    note: '',
    device: null,
    server: null,
    status: 'queued',
    attempts: 1,
    nextAttemptAt: '2026-12-04T10:00:10.000Z',
    lastError: 'You are offline.',
    screeningId: null,
    createdAt: '2026-12-04T10:00:00.000Z',
  };
  await store.insert(row);
}

function synced(clientUuid: string) {
  return {
    index: 0,
    client_uuid: clientUuid,
    status: 'created',
    error: null,
    screening: {
      id: 'a3f1c2d4-0000-4000-8000-000000000009',
      client_uuid: clientUuid,
      owner_id: user.id,
      source: 'sync',
      captured_at: '2026-12-04T10:00:00Z',
      created_at: '2026-12-04T10:05:00Z',
      body_site: '',
      note: '',
      photo_url: '/api/v1/screenings/a3f1c2d4-0000-4000-8000-000000000009/photo',
      photo_width: 600,
      photo_height: 450,
      model_version: '2026.12.04-ham10000-r20',
      model_synthetic: false,
      labels: ['akiec', 'bcc', 'bkl', 'df', 'mel', 'nv', 'vasc'],
      probabilities: { akiec: 0.01, bcc: 0.01, bkl: 0.04, df: 0.02, mel: 0.07, nv: 0.8, vasc: 0.05 },
      top_label: 'nv',
      top_label_display: 'Melanocytic nevus',
      risk: 'low',
      recommended_action: 'Keep an eye on it.',
      disclaimer: 'Screening aid only, not a diagnosis.',
      server_latency_ms: 120,
      device: null,
    },
  };
}

function Status() {
  const { status, endedReason } = useSession();
  return <Text testID="status">{`${status}${endedReason ? `:${endedReason}` : ''}`}</Text>;
}

beforeAll(() => wireFeatures());

describe('session', () => {
  it('signs out cleanly when the server rejects the refresh token', async () => {
    await signedIn();
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me', { status: 401, body: { detail: 'Token expired', code: 'token_not_valid' } });
    server.on('POST', '/api/v1/auth/refresh', { status: 401, body: { detail: 'Refresh token was already used.', code: 'token_reused' } });
    cart.add({ id: 1, name: 'Cream', price_minor: 100, currency: 'EUR' });
    renderApp(
      <>
        <Status />
        <ProfileScreen />
      </>,
    );

    await waitFor(() => expect(screen.getByTestId('status')).toHaveTextContent('signedOut:expired'));
    expect(await api.currentTokens()).toBeNull();
    expect(cart.get().lines).toEqual([]);
  });

  it('logout tells the server, forgets the tokens and the cart', async () => {
    await signedIn();
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me', { status: 200, body: user });
    server.on('POST', '/api/v1/auth/logout', { status: 204 });
    cart.add({ id: 1, name: 'Cream', price_minor: 100, currency: 'EUR' });
    renderApp(
      <>
        <Status />
        <ProfileScreen />
      </>,
    );
    expect(await screen.findByTestId('profile-email')).toHaveTextContent(user.email);

    fireEvent.press(screen.getByTestId('logout'));

    await waitFor(() => expect(screen.getByTestId('status')).toHaveTextContent(/^signedOut$/));
    expect(server.calls.find((c) => c.path === '/api/v1/auth/logout')!.body).toEqual({ refresh: 'refresh-token' });
    expect(await api.currentTokens()).toBeNull();
    expect(cart.get().lines).toEqual([]);
  });

  it('asks before deleting screenings that have not been sent, and keeps them on Cancel', async () => {
    // Given two screenings taken offline, and a device that is still offline
    await signedIn();
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me', { status: 200, body: user });
    server.on('POST', '/api/v1/screenings/sync', () => 'offline');
    server.on('POST', '/api/v1/auth/logout', () => 'offline');
    await queueScreening('0b7e3c1a-0000-4000-8000-000000000001');
    await queueScreening('0b7e3c1a-0000-4000-8000-000000000002');
    renderApp(
      <>
        <Status />
        <ProfileScreen />
      </>,
    );
    expect(await screen.findByTestId('profile-email')).toHaveTextContent(user.email);

    // When the patient taps "Sign out", they are told what would be lost, and nothing is deleted yet
    fireEvent.press(screen.getByTestId('logout'));

    expect(await screen.findByTestId('logout-confirm-message')).toHaveTextContent(
      '2 screenings have not been sent yet. Signing out deletes them from this device. Connect to the internet first to keep them.',
    );
    expect(server.calls.some((c) => c.path === '/api/v1/screenings/sync')).toBe(true); // it tried to send them first
    expect(screen.getByTestId('status')).toHaveTextContent(/^signedIn$/);
    expect(await (await outboxStorage()).store.list()).toHaveLength(2);

    // Cancel: still signed in, the screenings still queued
    fireEvent.press(screen.getByTestId('logout-confirm-no'));

    expect(screen.queryByTestId('logout-confirm')).toBeNull();
    expect(screen.getByTestId('status')).toHaveTextContent(/^signedIn$/);
    expect(await api.currentTokens()).not.toBeNull();
    expect(await (await outboxStorage()).store.list()).toHaveLength(2);

    // "Sign out anyway": signed out, and the next user of the device cannot sync them
    fireEvent.press(screen.getByTestId('logout'));
    fireEvent.press(await screen.findByTestId('logout-confirm-yes'));

    await waitFor(() => expect(screen.getByTestId('status')).toHaveTextContent(/^signedOut$/));
    expect(await api.currentTokens()).toBeNull();
    expect(await (await outboxStorage()).store.list()).toEqual([]);
  });

  it('signs out without asking once the waiting screening could be sent', async () => {
    await signedIn();
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me', { status: 200, body: user });
    server.on('POST', '/api/v1/screenings/sync', { status: 200, body: { created: 1, duplicates: 0, errors: 0, results: [synced('0b7e3c1a-0000-4000-8000-000000000003')] } });
    server.on('POST', '/api/v1/auth/logout', { status: 204 });
    await queueScreening('0b7e3c1a-0000-4000-8000-000000000003');
    renderApp(
      <>
        <Status />
        <ProfileScreen />
      </>,
    );
    expect(await screen.findByTestId('profile-email')).toHaveTextContent(user.email);

    fireEvent.press(screen.getByTestId('logout'));

    await waitFor(() => expect(screen.getByTestId('status')).toHaveTextContent(/^signedOut$/));
    expect(screen.queryByTestId('logout-confirm')).toBeNull();
    expect(server.calls.filter((c) => c.path === '/api/v1/screenings/sync')).toHaveLength(1);
    expect(await (await outboxStorage()).store.list()).toEqual([]);
  });
});
