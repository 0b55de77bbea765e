import { fireEvent, screen, waitFor } from '@testing-library/react-native';
import * as Notifications from 'expo-notifications';

import { RemindersCard } from './components/RemindersCard';
import { disablePush } from './push';
import { NotificationsScreen } from './screens/NotificationsScreen';
import { fakeServer, page, renderApp, signedIn } from '@/test/utils';

beforeEach(async () => {
  await signedIn();
});

describe('push reminders', () => {
  it('asks for permission only after the user chose to enable reminders, then registers the token', async () => {
    const server = fakeServer();
    server.on('POST', '/api/v1/notifications/devices', { status: 201, body: { token: 'ExponentPushToken[test-device]', platform: 'ios' } });
    server.on('DELETE', '/api/v1/notifications/devices/ExponentPushToken%5Btest-device%5D', { status: 204 });
    renderApp(<RemindersCard />);

    const button = await screen.findByTestId('enable-reminders');
    expect(screen.getByText(/reminder the day before/)).toBeTruthy();
    expect(Notifications.requestPermissionsAsync).not.toHaveBeenCalled();

    fireEvent.press(button);

    await waitFor(() => expect(screen.queryByTestId('reminders-card')).toBeNull());
    expect(Notifications.requestPermissionsAsync).toHaveBeenCalledTimes(1);
    expect(server.calls.find((c) => c.method === 'POST')!.body).toEqual({ token: 'ExponentPushToken[test-device]', platform: 'ios' });

    // Sign-out forgets the device on the server.
    await disablePush();
    expect(server.calls.some((c) => c.method === 'DELETE')).toBe(true);
  });

  it('says so when another account still signed in on this device holds the token, and does not claim reminders are on', async () => {
    const server = fakeServer();
    const detail = "This device's push token belongs to another account that is still signed in on it. Sign that account out on this device, then turn reminders on again.";
    server.on('POST', '/api/v1/notifications/devices', { status: 409, body: { detail, code: 'push_token_in_use' } });
    renderApp(<RemindersCard />);

    fireEvent.press(await screen.findByTestId('enable-reminders'));

    expect(await screen.findByText(/belongs to another account/)).toBeTruthy();
    expect(screen.getByTestId('reminders-card')).toBeTruthy();
    // nothing to unregister on sign-out: the token was not registered for this account
    await disablePush();
    expect(server.calls.some((c) => c.method === 'DELETE')).toBe(false);
  });

  it('respects a refusal without calling the server', async () => {
    const server = fakeServer();
    jest.mocked(Notifications.requestPermissionsAsync).mockResolvedValueOnce({ status: 'denied' } as never);
    renderApp(<RemindersCard />);

    fireEvent.press(await screen.findByTestId('enable-reminders'));

    expect(await screen.findByText(/switched off for this app/)).toBeTruthy();
    expect(server.calls).toHaveLength(0);
  });
});

describe('NotificationsScreen', () => {
  it('lists notifications and marks an unread one read', async () => {
    const server = fakeServer();
    let read = false;
    server.on('GET', '/api/v1/notifications', () => page([{ id: 3, kind: 'reminder', title: 'Appointment tomorrow', body: 'Dr. Klein at 09:30', status: 'sent', read, created_at: '2026-11-24T09:00:00Z', sent_at: '2026-11-24T09:00:00Z' }]));
    server.on('POST', '/api/v1/notifications/3/read', () => {
      read = true;
      return { status: 204 };
    });
    renderApp(<NotificationsScreen />);

    const item = await screen.findByTestId('notification-3');
    expect(item).toHaveTextContent(/● Appointment tomorrow/);
    fireEvent.press(item);
    await waitFor(() => expect(screen.getByTestId('notification-3')).not.toHaveTextContent(/●/));
  });

  it('shows the empty state', async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/notifications', page([]));
    renderApp(<NotificationsScreen />);
    expect(await screen.findByTestId('state-empty')).toHaveTextContent(/No notifications/);
  });
});
