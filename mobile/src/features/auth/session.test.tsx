import { fireEvent, screen, waitFor } from '@testing-library/react-native';
import { Pressable, Text } from 'react-native';

import { ProfileScreen } from './screens/ProfileScreen';
import { checkSignOut, currentUserId, useSession } from './session';
import { api } from '@/api';
import { cart } from '@/features/shop/cart';
import { wireFeatures } from '@/features/wiring';
import { flushOutbox } from '@/features/screening/engine';
import type { OutboxRow } from '@/features/screening/outboxStore';
import type * as OutboxStorage from '@/features/screening/outboxStorage';
import { fakeServer, renderApp, signedIn, tokensFor, user } from '@/test/utils';

// The device's screening outbox on sql.js (expo-sqlite needs a native build): one database for the file.
jest.mock('@/features/screening/outboxStorage', () => {
  let storage: ReturnType<typeof OutboxStorage.openOutboxStorage> | undefined;
  return { openOutboxStorage: () => (storage ??= jest.requireActual('@/test/outboxStorage').memoryOutboxStorage()) };
});
const outboxStorage = () => jest.requireMock<typeof OutboxStorage>('@/features/screening/outboxStorage').openOutboxStorage();

/** A screening user `ownerId` took on this device that the server does not have yet. */
async function queueScreening(clientUuid: string, ownerId = String(user.id)) {
  const { store, vault } = await outboxStorage();
  const row: OutboxRow = {
    clientUuid,
    ownerId,
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

const userB = { ...user, id: 8, email: 'sam@example.org', full_name: 'Sam Other' };

/** The login screen's effect: the session of `who` starts. */
function SignInAs({ who }: { who: typeof user }) {
  const { signIn } = useSession();
  return <Pressable testID={`sign-in-${who.id}`} onPress={() => void signIn({ ...tokensFor(who.id), user: who } as Parameters<typeof signIn>[0])} />;
}

/** Sign out straight away (what Profile -> Sign out does when there is nothing to tell). */
function SignOut() {
  const { signOut } = useSession();
  return <Pressable testID="sign-out-now" onPress={() => void signOut()} />;
}

/** What one user left on this device (any state). */
async function rowsOf(ownerId: number) {
  return (await outboxStorage()).store.list(String(ownerId));
}

/** Each POST /screenings/sync the fake server received: whose token sent it, and the client UUIDs in it. */
function syncRequests(): { bearer: string; uuids: string[] }[] {
  return (global.fetch as jest.Mock).mock.calls
    .filter(([url]) => String(url).endsWith('/api/v1/screenings/sync'))
    .map(([, init]: [unknown, RequestInit]) => ({
      bearer: String((init.headers as Record<string, string>).Authorization ?? ''),
      uuids: (JSON.parse(String((init.body as FormData).get('items'))) as { client_uuid: string }[]).map((i) => i.client_uuid),
    }));
}

/** The server's sync: every item created (it is idempotent on the client UUID). */
function syncAll() {
  return () => {
    const [, init] = (global.fetch as jest.Mock).mock.calls.at(-1) as [unknown, RequestInit];
    const items = JSON.parse(String((init.body as FormData).get('items'))) as { client_uuid: string }[];
    const results = items.map((item, index) => ({ ...synced(item.client_uuid), index }));
    return { status: 200, body: { created: results.length, duplicates: 0, errors: 0, results } };
  };
}

beforeAll(() => wireFeatures());

// The outbox outlives a sign-out now: start each test with an empty one.
beforeEach(async () => {
  const { store } = await outboxStorage();
  for (const owner of [user.id, userB.id]) for (const row of await store.list(String(owner))) await store.remove(row.clientUuid);
});

describe('session', () => {
  it('signs out cleanly when the server rejects the refresh token, and keeps the unsent screenings', async () => {
    await signedIn();
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me', { status: 401, body: { detail: 'Token expired', code: 'token_not_valid' } });
    server.on('POST', '/api/v1/auth/refresh', { status: 401, body: { detail: 'Refresh token was already used.', code: 'token_reused' } });
    server.on('POST', '/api/v1/screenings/sync', { status: 401, body: { detail: 'Token expired', code: 'token_not_valid' } });
    cart.add({ id: 1, name: 'Cream', price_minor: 100, currency: 'EUR' });
    await queueScreening('0b7e3c1a-0000-4000-8000-000000000011');
    await queueScreening('0b7e3c1a-0000-4000-8000-000000000012');
    renderApp(
      <>
        <Status />
        <ProfileScreen />
      </>,
    );

    await waitFor(() => expect(screen.getByTestId('status')).toHaveTextContent('signedOut:expired'));
    expect(await api.currentTokens()).toBeNull();
    expect(await currentUserId()).toBeNull();
    expect(cart.get().lines).toEqual([]);
    // The session ended on its own: nothing was asked, and nothing of the user's was deleted.
    await flushOutbox({ now: true });
    const rows = await rowsOf(user.id);
    expect(rows.map((r) => r.clientUuid).sort()).toEqual(['0b7e3c1a-0000-4000-8000-000000000011', '0b7e3c1a-0000-4000-8000-000000000012']);
    expect(rows.every((r) => r.status === 'queued')).toBe(true);
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
    expect(server.calls.find((c) => c.path === '/api/v1/auth/logout')!.body).toEqual({ refresh: tokensFor(user.id).refresh });
    expect(await api.currentTokens()).toBeNull();
    expect(cart.get().lines).toEqual([]);
  });

  it('says before signing out that unsent screenings stay on the device for this account; keeps them either way', async () => {
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

    // When the patient taps "Sign out", they are told the screenings wait for their next sign-in here
    fireEvent.press(screen.getByTestId('logout'));

    expect(await screen.findByTestId('logout-confirm-message')).toHaveTextContent(
      '2 screenings have not been sent yet. They stay on this device and will be sent the next time you sign in to this account here.',
    );
    expect(server.calls.some((c) => c.path === '/api/v1/screenings/sync')).toBe(true); // it tried to send them first
    expect(screen.getByTestId('status')).toHaveTextContent(/^signedIn$/);
    expect(await rowsOf(user.id)).toHaveLength(2);

    // Cancel: still signed in, the screenings still queued
    fireEvent.press(screen.getByTestId('logout-confirm-no'));

    expect(screen.queryByTestId('logout-confirm')).toBeNull();
    expect(screen.getByTestId('status')).toHaveTextContent(/^signedIn$/);
    expect(await api.currentTokens()).not.toBeNull();
    expect(await rowsOf(user.id)).toHaveLength(2);

    // "Sign out": signed out, and the screenings are still on the device, still this user's
    fireEvent.press(screen.getByTestId('logout'));
    fireEvent.press(await screen.findByTestId('logout-confirm-yes'));

    await waitFor(() => expect(screen.getByTestId('status')).toHaveTextContent(/^signedOut$/));
    expect(await api.currentTokens()).toBeNull();
    expect(await rowsOf(user.id)).toHaveLength(2);
  });

  it("never sends one user's screenings under another's session; sends them when their owner signs in again", async () => {
    const a1 = '0b7e3c1a-0000-4000-8000-000000000021';
    const a2 = '0b7e3c1a-0000-4000-8000-000000000022';
    // Given user A took two screenings offline, and signs out while still offline
    await signedIn(user.id);
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me', { status: 200, body: user });
    server.on('POST', '/api/v1/screenings/sync', () => 'offline');
    server.on('POST', '/api/v1/auth/logout', { status: 204 });
    await queueScreening(a1, String(user.id));
    await queueScreening(a2, String(user.id));
    renderApp(
      <>
        <Status />
        <ProfileScreen />
        <SignInAs who={userB} />
        <SignInAs who={user} />
        <SignOut />
      </>,
    );
    expect(await screen.findByTestId('profile-email')).toHaveTextContent(user.email);
    fireEvent.press(screen.getByTestId('logout'));
    fireEvent.press(await screen.findByTestId('logout-confirm-yes'));
    await waitFor(() => expect(screen.getByTestId('status')).toHaveTextContent(/^signedOut$/));
    expect(await rowsOf(user.id)).toHaveLength(2);

    // When user B signs in on the same device, back online, and the queue is flushed
    server.on('POST', '/api/v1/screenings/sync', syncAll());
    const before = syncRequests().length;
    fireEvent.press(screen.getByTestId(`sign-in-${userB.id}`));
    await waitFor(() => expect(screen.getByTestId('status')).toHaveTextContent(/^signedIn$/));
    expect(await currentUserId()).toBe(String(userB.id));
    await flushOutbox({ now: true });

    // Then the server sees none of A's screenings, and B's session sees no queue
    expect(syncRequests().slice(before)).toEqual([]);
    expect((await rowsOf(user.id)).map((r) => r.status)).toEqual(['queued', 'queued']);

    // B signs out (nothing of B's is waiting: nothing to tell); A signs in again
    expect(await checkSignOut()).toEqual([]);
    fireEvent.press(screen.getByTestId('sign-out-now'));
    await waitFor(() => expect(screen.getByTestId('status')).toHaveTextContent(/^signedOut$/));
    fireEvent.press(screen.getByTestId(`sign-in-${user.id}`));
    await waitFor(() => expect(screen.getByTestId('status')).toHaveTextContent(/^signedIn$/));
    await flushOutbox({ now: true });

    // Exactly A's two are sent, once, with A's token
    await waitFor(async () => expect((await rowsOf(user.id)).map((r) => r.status)).toEqual(['synced', 'synced']));
    const sent = syncRequests().slice(before);
    expect(sent.flatMap((r) => r.uuids).sort()).toEqual([a1, a2]);
    expect(sent.every((r) => r.bearer === `Bearer ${tokensFor(user.id).access}`)).toBe(true);
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
    expect((await rowsOf(user.id)).map((r) => r.status)).toEqual(['synced']);
  });
});
