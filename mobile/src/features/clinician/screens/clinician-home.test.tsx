import { fireEvent, screen, waitFor, within } from '@testing-library/react-native';

import { HomeScreen } from '@/features/home/HomeScreen';
import { fakeServer, renderApp, signedIn, user } from '@/test/utils';

const clara = { ...user, id: 2, email: 'clara@example.org', full_name: 'Dr. Clara Klein', role: 'clinician', time_zone: 'UTC' };
const claraProfile = { id: 2, full_name: 'Dr. Clara Klein', speciality: 'Dermatology', clinic: 'Mitte', time_zone: 'UTC' };
const other = { id: 3, full_name: 'Dr. Ole Other', speciality: '', clinic: '', time_zone: 'UTC' };

/**
 * "Today" and "started" follow the clock, so the clock is pinned to midday UTC: the test once failed in CI when it
 * ran just after midnight, where no instant a minute ago is still today. Only `Date` is faked; timers stay real so
 * the screen's queries and `findBy*` behave as in the other tests.
 */
const NOON = new Date('2026-06-15T12:00:00Z');
beforeAll(() => {
  jest.useFakeTimers({
    now: NOON,
    doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'requestAnimationFrame', 'cancelAnimationFrame', 'requestIdleCallback', 'cancelIdleCallback', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
  });
});
afterAll(() => {
  jest.useRealTimers();
});

/** An instant `minutesFromNow` from the pinned midday, so always today (UTC). */
function todayAt(minutesFromNow: number): string {
  return new Date(Date.now() + minutesFromNow * 60_000).toISOString().replace('.000Z', '+00:00');
}

function visit(id: number, start: string, patient: { id: number; full_name: string }, clinician = claraProfile, status = 'booked') {
  return { id, clinician, patient, start, end: start, time_zone: 'UTC', status, reason: id === 1 ? 'Mole on the back' : '', created_at: start };
}

function serve() {
  const server = fakeServer();
  const started = visit(1, todayAt(-1), { id: 7, full_name: 'Pat Patient' });
  const later = visit(2, todayAt(+1), { id: 8, full_name: 'Max Muster' });
  const asPatient = visit(3, todayAt(-1), { id: 2, full_name: 'Dr. Clara Klein' }, other);
  let rows = [started, later, asPatient];
  server.on('GET', '/api/v1/auth/me', { status: 200, body: clara });
  server.on('GET', '/api/v1/notifications', { status: 200, body: { items: [], count: 0 } });
  server.on('GET', '/api/v1/clinician/worklist', ({ query }) => ({ status: 200, body: { items: [], count: query.get('risk') === 'high' && query.get('reviewed') === 'false' ? 3 : 9 } }));
  server.on('GET', '/api/v1/appointments', () => ({ status: 200, body: { items: rows, count: rows.length } }));
  server.on('POST', '/api/v1/appointments/1/status', ({ body }) => {
    rows = rows.map((r) => (r.id === 1 ? { ...r, status: (body as { status: string }).status } : r));
    return { status: 200, body: rows[0] };
  });
  return server;
}

beforeEach(async () => {
  await signedIn(2);
});

describe('clinician home', () => {
  it("greets by title and surname and lists today's patients by name (not the clinician's own visits as a patient)", async () => {
    serve();
    renderApp(<HomeScreen />);

    expect(await screen.findByTestId('home-greeting')).toHaveTextContent('Hello, Dr. Klein');
    expect(await screen.findByText('3 high-risk screenings not reviewed yet')).toBeTruthy();
    expect(await screen.findByTestId('visit-1-patient')).toHaveTextContent('Pat Patient');
    expect(screen.getByTestId('visit-2-patient')).toHaveTextContent('Max Muster');
    expect(screen.queryByTestId('visit-3')).toBeNull();
    expect(screen.queryByTestId('home-book')).toBeNull();
    expect(screen.queryByText(/Book a skin check/)).toBeNull();
  });

  it('marks a started visit done; one that has not started cannot be marked yet', async () => {
    const server = serve();
    renderApp(<HomeScreen />);

    expect(await screen.findByTestId('visit-2-not-started')).toBeTruthy();
    expect(screen.queryByTestId('visit-2-done')).toBeNull();
    fireEvent.press(await screen.findByTestId('visit-1-done'));

    await waitFor(() => expect(screen.getByTestId('visit-1-status')).toHaveTextContent('Done'));
    expect(server.calls.filter((c) => c.path === '/api/v1/appointments/1/status').map((c) => c.body)).toEqual([{ status: 'done' }]);
    expect(screen.queryByTestId('visit-1-done')).toBeNull();
  });

  it("says why a visit could not be recorded (the server's reason)", async () => {
    const server = serve();
    server.on('POST', '/api/v1/appointments/1/status', { status: 422, body: { detail: 'The appointment has not started yet.', code: 'not_started' } });
    renderApp(<HomeScreen />);

    fireEvent.press(await screen.findByTestId('visit-1-no-show'));

    expect(await screen.findByTestId('visit-1-error')).toHaveTextContent('The appointment has not started yet.');
    expect(within(screen.getByTestId('visit-1')).getByTestId('visit-1-status')).toHaveTextContent('Booked');
  });
});

describe('admin home', () => {
  it('links to the admin site and offers no patient flows', async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me', { status: 200, body: { ...user, id: 1, full_name: 'Ada Admin', role: 'admin' } });
    renderApp(<HomeScreen />);

    expect(await screen.findByTestId('home-admin-site')).toBeTruthy();
    expect(screen.getByTestId('home-greeting')).toHaveTextContent('Hello, Ada');
    expect(screen.queryByTestId('home-next-appointment')).toBeNull();
    expect(screen.queryByTestId('home-book')).toBeNull();
    expect(server.calls.some((c) => c.path === '/api/v1/appointments')).toBe(false);
  });
});
