import { fireEvent, screen, waitFor, within } from '@testing-library/react-native';
import { router, useLocalSearchParams } from 'expo-router';

import { AssignLesionScreen } from './AssignLesionScreen';
import { LesionsScreen } from './LesionsScreen';
import { LesionTimelineScreen } from './LesionTimelineScreen';
import { NewLesionScreen } from './NewLesionScreen';
import { LABELS } from '@/contract';
import { fakeServer, renderApp, signedIn, user } from '@/test/utils';

// The photo is loaded through the authenticated endpoint (covered by the screening tests and e2e); here a placeholder.
jest.mock('@/features/screening/components/ScreeningPhoto', () => {
  const { View } = jest.requireActual<typeof import('react-native')>('react-native');
  return { ScreeningPhoto: ({ testID }: { testID: string }) => <View testID={testID} /> };
});

const LESION = 'bbbbbbbb-0000-4000-8000-000000000001';
const S1 = 'aaaaaaaa-0000-4000-8000-000000000001';
const S2 = 'aaaaaaaa-0000-4000-8000-000000000002';

function lesion(over: Record<string, unknown> = {}) {
  return {
    id: LESION,
    owner_id: 7,
    name: 'Mole on left shoulder',
    body_view: 'back',
    body_x: 0.3,
    body_y: 0.2,
    body_region: 'left shoulder',
    notes: '',
    follow_up_due_at: null,
    screening_count: 2,
    created_at: '2026-11-01T10:00:00Z',
    updated_at: '2026-11-01T10:00:00Z',
    ...over,
  };
}

function screening(id: string, captured: string, top: string, risk: string, over: Record<string, unknown> = {}) {
  return {
    id,
    client_uuid: null,
    owner_id: 7,
    source: 'online',
    captured_at: captured,
    created_at: captured,
    body_site: '',
    note: '',
    photo_url: `/api/v1/screenings/${id}/photo`,
    photo_width: 600,
    photo_height: 450,
    model_version: '2026.12.04-ham10000-r20',
    model_synthetic: false,
    labels: [...LABELS],
    probabilities: Object.fromEntries(LABELS.map((l) => [l, l === top ? 0.7 : 0.05])),
    top_label: top,
    top_label_display: top === 'mel' ? 'Melanoma' : 'Melanocytic nevus',
    risk,
    recommended_action: '',
    disclaimer: 'A screening aid, not a diagnosis.',
    server_latency_ms: 100,
    device: null,
    lesion_id: LESION,
    reviews: [],
    ...over,
  };
}

const review = {
  id: 3,
  screening_id: S2,
  clinician_id: 2,
  clinician_name: 'Dr. Clara Klein',
  impression: 'monitor',
  impression_display: 'Monitor',
  note: 'Looks stable; photograph again in 3 months.',
  follow_up_weeks: 12,
  diagnosis_label: null,
  revision: 2,
  created_at: '2026-12-01T10:00:00Z',
  updated_at: '2026-12-02T10:00:00Z',
};

beforeEach(async () => {
  await signedIn();
});

function base() {
  const server = fakeServer();
  server.on('GET', '/api/v1/auth/me', { status: 200, body: user });
  return server;
}

describe('new lesion on the body map', () => {
  it('needs a name and a point, then saves the tapped place and puts the screening on it', async () => {
    // Given the patient came from a screening's result
    jest.mocked(useLocalSearchParams).mockReturnValue({ screening: S1 });
    const server = base();
    server.on('POST', '/api/v1/lesions', ({ body }) => ({ status: 201, body: lesion(body as Record<string, unknown>) }));
    server.on('PUT', `/api/v1/screenings/${S1}/lesion`, ({ body }) => ({ status: 200, body: screening(S1, '2026-12-04T09:00:00Z', 'nv', 'low', body as Record<string, unknown>) }));
    renderApp(<NewLesionScreen />);

    // When they save without a name or a point, nothing is sent and both are asked for
    fireEvent.press(screen.getByTestId('lesion-save'));
    expect(screen.getByTestId('lesion-name-error')).toHaveTextContent(/Give the lesion a name/);
    expect(screen.getByTestId('lesion-map-error')).toHaveTextContent('Tap the body map where the lesion is.');
    expect(server.calls.filter((c) => c.method !== 'GET')).toHaveLength(0);

    // When they name it, switch to the back and tap the map at (90, 72) of 180x360
    fireEvent.changeText(screen.getByTestId('lesion-name'), ' Mole on left shoulder ');
    fireEvent.press(screen.getByTestId('lesion-view-back'));
    fireEvent.press(screen.getByTestId('lesion-map'), { nativeEvent: { locationX: 90, locationY: 72 } });
    expect(screen.getByTestId('lesion-map-point')).toBeTruthy();
    fireEvent.press(screen.getByTestId('lesion-save'));

    // Then the lesion is created where they tapped, the screening is assigned to it, and its timeline opens
    await waitFor(() => expect(router.replace).toHaveBeenCalledWith({ pathname: '/screening/lesions/[id]', params: { id: LESION } }));
    expect(server.calls.find((c) => c.method === 'POST')!.body).toEqual({ name: 'Mole on left shoulder', body_view: 'back', body_x: 0.5, body_y: 0.2, body_region: '', notes: '' });
    expect(server.calls.find((c) => c.method === 'PUT')!.body).toEqual({ lesion_id: LESION });
  });

  it('says when the lesion was saved but the screening could not be added', async () => {
    jest.mocked(useLocalSearchParams).mockReturnValue({ screening: S1 });
    const server = base();
    server.on('POST', '/api/v1/lesions', { status: 201, body: lesion() });
    server.on('PUT', `/api/v1/screenings/${S1}/lesion`, { status: 404, body: { detail: 'Screening not found.', code: 'screening_not_found' } });
    renderApp(<NewLesionScreen />);

    fireEvent.changeText(screen.getByTestId('lesion-name'), 'Mole');
    fireEvent.press(screen.getByTestId('lesion-map'), { nativeEvent: { locationX: 10, locationY: 10 } });
    fireEvent.press(screen.getByTestId('lesion-save'));

    expect(await screen.findByTestId('lesion-new-message')).toHaveTextContent('The lesion was saved, but the screening could not be added to it: Screening not found.');
    expect(router.replace).not.toHaveBeenCalled();
  });
});

describe('body map in the browser', () => {
  it("places the point from a click's offset (react-native-web gives no locationX)", async () => {
    jest.mocked(useLocalSearchParams).mockReturnValue({});
    const server = base();
    server.on('POST', '/api/v1/lesions', ({ body }) => ({ status: 201, body: lesion(body as Record<string, unknown>) }));
    renderApp(<NewLesionScreen />);

    fireEvent.changeText(screen.getByTestId('lesion-name'), 'Freckle');
    fireEvent.press(screen.getByTestId('lesion-map'), { nativeEvent: { offsetX: 45, offsetY: 270 } });
    fireEvent.press(screen.getByTestId('lesion-save'));

    await waitFor(() => expect(server.calls.find((c) => c.method === 'POST')?.body).toMatchObject({ body_view: 'front', body_x: 0.25, body_y: 0.75 }));
  });
});

describe('assign a screening to an existing lesion', () => {
  it('puts the screening on the chosen lesion and opens its timeline', async () => {
    jest.mocked(useLocalSearchParams).mockReturnValue({ id: S1 });
    const server = base();
    server.on('GET', '/api/v1/lesions', { status: 200, body: { items: [lesion()], count: 1 } });
    server.on('PUT', `/api/v1/screenings/${S1}/lesion`, { status: 200, body: screening(S1, '2026-12-04T09:00:00Z', 'nv', 'low') });
    renderApp(<AssignLesionScreen />);

    fireEvent.press(await screen.findByTestId(`assign-${LESION}`));

    await waitFor(() => expect(router.replace).toHaveBeenCalledWith({ pathname: '/screening/lesions/[id]', params: { id: LESION } }));
    expect(server.calls.find((c) => c.method === 'PUT')!.body).toEqual({ lesion_id: LESION });
  });
});

describe('my lesions', () => {
  it('shows each lesion on its side of the body map and in the list', async () => {
    const front = lesion({ id: 'front-1', name: 'Freckle on chest', body_view: 'front', screening_count: 1 });
    const server = base();
    server.on('GET', '/api/v1/lesions', { status: 200, body: { items: [lesion(), front], count: 2 } });
    renderApp(<LesionsScreen />);

    expect(await screen.findByTestId('lesions-map-spot-front-1')).toBeTruthy();
    expect(screen.queryByTestId(`lesions-map-spot-${LESION}`)).toBeNull();
    fireEvent.press(screen.getByTestId('lesions-view-back'));
    expect(screen.getByTestId(`lesions-map-spot-${LESION}`)).toBeTruthy();
    expect(screen.getByTestId(`lesion-${LESION}`)).toHaveTextContent(/left shoulder · 2 screenings/);
  });
});

describe('lesion timeline', () => {
  function serveTimeline() {
    jest.mocked(useLocalSearchParams).mockReturnValue({ id: LESION });
    const server = base();
    let current: Record<string, unknown> = lesion();
    const screenings = [
      screening(S1, '2026-09-01T09:00:00Z', 'nv', 'low'),
      screening(S2, '2026-12-01T09:00:00Z', 'mel', 'high', { reviews: [review] }),
    ];
    server.on('GET', `/api/v1/lesions/${LESION}/timeline`, () => ({ status: 200, body: { lesion: current, screenings } }));
    server.on('PUT', `/api/v1/lesions/${LESION}/follow-up`, ({ body }) => {
      const weeks = (body as { weeks: number }).weeks;
      current = { ...current, follow_up_due_at: new Date(Date.UTC(2026, 11, 4) + weeks * 7 * 86_400_000).toISOString() };
      return { status: 200, body: current };
    });
    return server;
  }

  it('lists the screenings oldest first with results, model versions and the clinician review', async () => {
    serveTimeline();
    renderApp(<LesionTimelineScreen />);

    expect(await screen.findByTestId('timeline-name')).toHaveTextContent('Mole on left shoulder');
    const cards = screen.getAllByTestId(/^timeline-aaaaaaaa/);
    expect(cards.map((c) => c.props.testID)).toEqual([`timeline-${S1}`, `timeline-${S2}`]);
    expect(screen.getByTestId(`timeline-risk-${S1}`)).toHaveTextContent(/Lower risk.*most like Melanocytic nevus \(70\.0 %\)/);
    expect(within(screen.getByTestId(`timeline-${S2}`)).getByText('Model 2026.12.04-ham10000-r20')).toBeTruthy();
    expect(screen.getByTestId(`timeline-reviews-${S1}-none`)).toHaveTextContent('Not reviewed by a clinician yet.');
    expect(screen.getByTestId(`timeline-reviews-${S2}-3-impression`)).toHaveTextContent('Monitor');
    expect(screen.getByTestId(`timeline-reviews-${S2}-3`)).toHaveTextContent(/Looks stable.*Check again in 12 weeks.*amended \(version 2\)/);
  });

  it('compares two screenings side by side', async () => {
    serveTimeline();
    renderApp(<LesionTimelineScreen />);

    fireEvent.press(await screen.findByTestId(`timeline-compare-${S1}`));
    expect(screen.queryByTestId('compare')).toBeNull();
    fireEvent.press(screen.getByTestId(`timeline-compare-${S2}`));

    const compare = screen.getByTestId('compare');
    expect(within(compare).getByTestId(`compare-risk-${S1}`)).toHaveTextContent(/Lower risk/);
    expect(within(compare).getByTestId(`compare-risk-${S2}`)).toHaveTextContent(/Higher risk/);
  });

  it('sets a follow-up reminder in N weeks and shows when it is due', async () => {
    const server = serveTimeline();
    renderApp(<LesionTimelineScreen />);

    fireEvent.changeText(await screen.findByTestId('follow-up-weeks'), '0');
    expect(screen.getByTestId('follow-up-save')).toBeDisabled();
    fireEvent.changeText(screen.getByTestId('follow-up-weeks'), '6');
    fireEvent.press(screen.getByTestId('follow-up-save'));

    expect(await screen.findByTestId('follow-up-message')).toHaveTextContent('We will remind you on 15 Jan 2027.');
    expect(server.calls.find((c) => c.method === 'PUT')!.body).toEqual({ weeks: 6 });
    await waitFor(() => expect(screen.getByTestId('follow-up-due')).toHaveTextContent('Reminder set for 15 Jan 2027.'));
  });
});
