import { fireEvent, screen } from '@testing-library/react-native';
import { router } from 'expo-router';

import { HomeScreen } from './HomeScreen';
import { tabsFor } from './roles';
import { fakeServer, renderApp, signedIn, user } from '@/test/utils';

beforeEach(async () => {
  await signedIn();
});

const clinician = { id: 2, full_name: 'Dr. Clara Klein', speciality: '', clinic: '', time_zone: 'UTC' };
const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();

describe('patient home', () => {
  it('shows the unread notifications and opens them', async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me', { status: 200, body: user });
    server.on('GET', '/api/v1/appointments', { status: 200, body: { items: [], count: 0 } });
    server.on('GET', '/api/v1/notifications', ({ query }) => ({ status: 200, body: { items: [], count: query.get('unread') === 'true' ? 3 : 5 } }));
    renderApp(<HomeScreen />);

    fireEvent.press(await screen.findByTestId('home-unread'));

    expect(screen.getByTestId('home-unread')).toHaveTextContent('3 unread notifications');
    expect(router.navigate).toHaveBeenCalledWith('/profile/notifications');
  });

  it('shows my next appointment, never one where I am not the patient', async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me', { status: 200, body: user });
    server.on('GET', '/api/v1/notifications', { status: 200, body: { items: [], count: 0 } });
    const someoneElses = { id: 9, clinician: { ...clinician, id: 3, full_name: 'Dr. Ole Other' }, patient: { id: 99, full_name: 'Someone Else' }, start: inDays(1), end: inDays(1), time_zone: 'UTC', status: 'booked', reason: '', created_at: inDays(0) };
    const mine = { ...someoneElses, clinician, id: 10, patient: { id: user.id, full_name: user.full_name }, start: inDays(2), end: inDays(2) };
    server.on('GET', '/api/v1/appointments', { status: 200, body: { items: [someoneElses, mine], count: 2 } });
    renderApp(<HomeScreen />);

    expect(await screen.findByTestId('home-next-when')).toHaveTextContent(/with Dr. Clara Klein/);
    expect(screen.queryByTestId('home-unread')).toBeNull();
    expect(screen.getByTestId('home-greeting')).toHaveTextContent('Hello, Pat');
  });
});

describe('tabs per role', () => {
  it('keeps patient flows away from clinicians and admins', () => {
    expect([...tabsFor('patient')]).toEqual(['index', 'screening', 'appointments', 'shop', 'blog', 'profile']);
    expect(tabsFor('clinician').has('shop')).toBe(false);
    expect(tabsFor('clinician').has('screening')).toBe(false);
    expect([...tabsFor('admin')]).toEqual(['index', 'blog', 'profile']);
  });
});
