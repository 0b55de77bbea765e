import { fireEvent, screen, waitFor } from '@testing-library/react-native';
import { router, useLocalSearchParams } from 'expo-router';

import { BookScreen } from './BookScreen';
import { MyAppointmentsScreen } from './MyAppointmentsScreen';
import { fakeServer, page, renderApp, signedIn, user } from '@/test/utils';

const clinician = { id: 2, full_name: 'Dr. Clara Klein', speciality: 'Dermatology', clinic: 'Mitte', time_zone: 'Europe/Berlin', slot_minutes: 30 };

function future(days: number, hourUtc: number) {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + days);
  d.setUTCHours(hourUtc, 0, 0, 0);
  return d.toISOString().replace('.000Z', '+00:00');
}

function appointment(id: number, start: string, status = 'booked') {
  const end = new Date(Date.parse(start) + 30 * 60_000).toISOString();
  return { id, clinician, patient: { id: 7, full_name: 'Pat Patient' }, start, end, time_zone: 'Europe/Berlin', status, reason: '', created_at: start };
}

beforeEach(async () => {
  await signedIn();
});

describe('MyAppointmentsScreen', () => {
  it('shows an empty state with a way to book', async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me', { status: 200, body: user });
    server.on('GET', '/api/v1/appointments', page([]));
    renderApp(<MyAppointmentsScreen />);
    expect(await screen.findByTestId('state-empty')).toHaveTextContent(/No appointments yet/);
    fireEvent.press(screen.getByTestId('book-appointment'));
    expect(router.push).toHaveBeenCalledWith('/appointments/book');
  });

  it('lists upcoming appointments in the profile time zone, cancelled ones apart', async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me', { status: 200, body: { ...user, time_zone: 'America/New_York' } });
    const start = future(3, 15);
    server.on('GET', '/api/v1/appointments', page([appointment(1, start), appointment(2, future(4, 9), 'cancelled')]));
    renderApp(<MyAppointmentsScreen />);

    const row = await screen.findByTestId('appointment-1');
    const expected = new Intl.DateTimeFormat('en-GB', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(start));
    await waitFor(() => expect(row).toHaveTextContent(new RegExp(expected)));
    expect(screen.getByText('Past and cancelled')).toBeTruthy();
    expect(screen.getByTestId('appointment-2')).toHaveTextContent(/cancelled/);
  });

  it('shows the offline state', async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me', () => 'offline');
    server.on('GET', '/api/v1/appointments', () => 'offline');
    renderApp(<MyAppointmentsScreen />);
    expect(await screen.findByTestId('state-offline')).toBeTruthy();
  });
});

describe('BookScreen', () => {
  beforeEach(() => {
    jest.mocked(useLocalSearchParams).mockReturnValue({ id: '2' });
  });

  it('books the chosen slot with an idempotency key and opens the appointment', async () => {
    const server = fakeServer();
    const slot = { start: future(2, 9), end: future(2, 10) };
    server.on('GET', '/api/v1/auth/me', { status: 200, body: user });
    server.on('GET', '/api/v1/clinicians/2', { status: 200, body: clinician });
    server.on('GET', '/api/v1/clinicians/2/slots', { status: 200, body: { items: [slot], time_zone: 'Europe/Berlin' } });
    server.on('POST', '/api/v1/appointments', { status: 201, body: appointment(55, slot.start) });
    renderApp(<BookScreen />);

    expect(screen.getByTestId('book-submit')).toBeDisabled();
    fireEvent.press(await screen.findByTestId('slot-first'));
    fireEvent.changeText(screen.getByTestId('book-reason'), 'Mole changed');
    fireEvent.press(screen.getByTestId('book-submit'));

    await waitFor(() => expect(router.replace).toHaveBeenCalledWith({ pathname: '/appointments/[id]', params: { id: '55' } }));
    const post = server.calls.find((c) => c.method === 'POST')!;
    expect(post.body).toEqual({ clinician_id: 2, start: slot.start, reason: 'Mole changed' });
    expect(post.headers['Idempotency-Key']).toMatch(/^[0-9a-f-]{36}$/);
    const slotsCall = server.calls.find((c) => c.path.endsWith('/slots'))!;
    expect(slotsCall).toBeTruthy();
  });

  it("explains a taken slot once, in the server's words", async () => {
    const server = fakeServer();
    const slot = { start: future(2, 9), end: future(2, 10) };
    server.on('GET', '/api/v1/auth/me', { status: 200, body: user });
    server.on('GET', '/api/v1/clinicians/2', { status: 200, body: clinician });
    server.on('GET', '/api/v1/clinicians/2/slots', { status: 200, body: { items: [slot], time_zone: 'Europe/Berlin' } });
    server.on('POST', '/api/v1/appointments', { status: 409, body: { detail: 'That slot has just been booked by someone else; pick another one.', code: 'slot_taken' } });
    renderApp(<BookScreen />);

    fireEvent.press(await screen.findByTestId('slot-first'));
    fireEvent.press(screen.getByTestId('book-submit'));

    expect(await screen.findByTestId('book-message')).toHaveTextContent(/^That slot has just been booked by someone else; pick another one\.$/);
    expect(screen.getByTestId('book-submit')).toBeDisabled();
    expect(router.replace).not.toHaveBeenCalled();
  });

  it('shows that there are no free times', async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me', { status: 200, body: user });
    server.on('GET', '/api/v1/clinicians/2', { status: 200, body: clinician });
    server.on('GET', '/api/v1/clinicians/2/slots', { status: 200, body: { items: [], time_zone: 'Europe/Berlin' } });
    renderApp(<BookScreen />);
    expect(await screen.findByTestId('slots-empty')).toHaveTextContent(/No free times/);
  });
});
