import { fireEvent, screen, waitFor } from '@testing-library/react-native';
import { useLocalSearchParams } from 'expo-router';

import { AppointmentScreen } from './AppointmentScreen';
import { fakeServer, renderApp, signedIn, user } from '@/test/utils';

const clinician = { id: 2, full_name: 'Dr. Clara Klein', speciality: 'Dermatology', clinic: 'Mitte', time_zone: 'Europe/Berlin' };
const inDays = (d: number, h: number) => {
  const t = new Date();
  t.setUTCDate(t.getUTCDate() + d);
  t.setUTCHours(h, 0, 0, 0);
  return t.toISOString().replace('.000Z', '+00:00');
};
const booked = (start: string, status = 'booked') => ({ id: 5, clinician, patient: { id: 7, full_name: 'Pat' }, start, end: start, time_zone: 'Europe/Berlin', status, reason: 'Mole', created_at: start });

const clinic = { name: 'SkinScreen Clinic', address: 'Musterstrasse 1', phone: '+49 30 555 0100', tax_rate_percent: '19.00', appointment_change_cutoff_hours: 24 };
const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString().replace(/\.\d{3}Z$/, '+00:00');

beforeEach(async () => {
  await signedIn();
  jest.mocked(useLocalSearchParams).mockReturnValue({ id: '5' });
});

function serve(start: string, status = 'booked') {
  const server = fakeServer();
  let current = booked(start, status);
  server.on('GET', '/api/v1/auth/me', { status: 200, body: user });
  server.on('GET', '/api/v1/clinic', { status: 200, body: clinic });
  server.on('GET', '/api/v1/appointments/5', () => ({ status: 200, body: current }));
  server.on('GET', '/api/v1/appointments', () => ({ status: 200, body: { items: [current], count: 1 } }));
  server.on('GET', '/api/v1/clinicians/2/slots', { status: 200, body: { items: [{ start, end: start }, { start: inDays(3, 10), end: inDays(3, 10) }], time_zone: 'Europe/Berlin' } });
  server.on('POST', '/api/v1/appointments/5/reschedule', ({ body }) => {
    current = { ...current, start: (body as { start: string }).start };
    return { status: 200, body: current };
  });
  server.on('POST', '/api/v1/appointments/5/cancel', () => {
    current = { ...current, status: 'cancelled' };
    return { status: 200, body: current };
  });
  return server;
}

describe('AppointmentScreen', () => {
  it('moves the appointment to another free time (the current one is not offered)', async () => {
    const server = serve(inDays(2, 9));
    renderApp(<AppointmentScreen />);

    fireEvent.press(await screen.findByTestId('reschedule-start'));
    fireEvent.press(await screen.findByTestId('slot-first'));
    fireEvent.press(screen.getByTestId('reschedule-submit'));

    expect(await screen.findByTestId('appointment-message')).toHaveTextContent('Appointment moved.');
    expect(server.calls.find((c) => c.path.endsWith('/reschedule'))!.body).toEqual({ start: inDays(3, 10) });
  });

  it('cancels only after the user confirms, after which it can no longer be changed', async () => {
    const server = serve(inDays(2, 9));
    renderApp(<AppointmentScreen />);

    fireEvent.press(await screen.findByTestId('cancel-appointment'));
    expect(screen.getByTestId('cancel-appointment-question')).toHaveTextContent(/Cancel the appointment on .* with Dr. Clara Klein\?/);
    expect(server.calls.filter((c) => c.path.endsWith('/cancel'))).toHaveLength(0);
    fireEvent.press(screen.getByTestId('cancel-appointment-no'));
    expect(server.calls.filter((c) => c.path.endsWith('/cancel'))).toHaveLength(0);
    fireEvent.press(screen.getByTestId('cancel-appointment'));
    fireEvent.press(screen.getByTestId('cancel-appointment-yes'));

    expect(await screen.findByTestId('appointment-message')).toHaveTextContent('Appointment cancelled.');
    await waitFor(() => expect(screen.getByTestId('appointment-status')).toHaveTextContent(/cancelled/));
    expect(screen.queryByTestId('reschedule-start')).toBeNull();
    expect(server.calls.filter((c) => c.path.endsWith('/cancel'))).toHaveLength(1);
  });

  it('offers no changes for a past appointment', async () => {
    serve(inDays(-2, 9), 'done');
    renderApp(<AppointmentScreen />);
    expect(await screen.findByTestId('appointment-status')).toHaveTextContent(/done/);
    expect(screen.queryByTestId('cancel-appointment')).toBeNull();
  });

  it("inside the cutoff offers no reschedule or cancel and gives the clinic's phone instead", async () => {
    const server = serve(inHours(5));
    renderApp(<AppointmentScreen />);

    expect(await screen.findByTestId('appointment-cutoff')).toHaveTextContent(
      'Less than 24 hours to go, so this appointment can no longer be moved or cancelled online. To change it, please call SkinScreen Clinic on +49 30 555 0100.',
    );
    expect(screen.queryByTestId('reschedule-start')).toBeNull();
    expect(screen.queryByTestId('cancel-appointment')).toBeNull();
    expect(server.calls.filter((c) => c.method === 'POST')).toHaveLength(0);
  });

  it("uses the clinic's own cutoff (48 hours here)", async () => {
    const server = serve(inHours(30));
    server.on('GET', '/api/v1/clinic', { status: 200, body: { ...clinic, appointment_change_cutoff_hours: 48 } });
    renderApp(<AppointmentScreen />);
    expect(await screen.findByTestId('appointment-cutoff')).toHaveTextContent(/Less than 48 hours/);
  });

  it("shows the clinician the patient's name and lets them record the visit once started", async () => {
    const server = serve(inHours(-0.25));
    server.on('GET', '/api/v1/auth/me', { status: 200, body: { ...user, id: 2, full_name: 'Dr. Clara Klein', role: 'clinician' } });
    server.on('POST', '/api/v1/appointments/5/status', { status: 200, body: { ...booked(inHours(-0.25)), status: 'no_show' } });
    renderApp(<AppointmentScreen />);

    expect(await screen.findByTestId('appointment-with')).toHaveTextContent('Patient: Pat');
    fireEvent.press(await screen.findByTestId('visit-5-no-show'));
    await waitFor(() => expect(server.calls.filter((c) => c.path.endsWith('/status')).map((c) => c.body)).toEqual([{ status: 'no_show' }]));
  });
});
