import { fireEvent, screen, waitFor } from '@testing-library/react-native';
import { router, useLocalSearchParams } from 'expo-router';

import { ReviewScreen } from './ReviewScreen';
import { WorklistScreen } from './WorklistScreen';
import { LABELS } from '@/contract';
import { fakeServer, renderApp, signedIn, user } from '@/test/utils';

jest.mock('@/features/screening/components/ScreeningPhoto', () => {
  const { View } = jest.requireActual<typeof import('react-native')>('react-native');
  return { ScreeningPhoto: ({ testID }: { testID: string }) => <View testID={testID} /> };
});

const S = 'aaaaaaaa-0000-4000-8000-000000000009';
const clara = { ...user, id: 2, full_name: 'Dr. Clara Klein', role: 'clinician', time_zone: 'UTC' };

function item(over: Record<string, unknown> = {}) {
  return {
    id: S,
    client_uuid: null,
    owner_id: 7,
    source: 'online',
    captured_at: '2026-12-03T09:00:00Z',
    created_at: '2026-12-03T09:00:00Z',
    body_site: 'Back',
    note: 'It itches',
    photo_url: `/api/v1/screenings/${S}/photo`,
    photo_width: 600,
    photo_height: 450,
    model_version: '2026.12.04-ham10000-r20',
    model_synthetic: false,
    labels: [...LABELS],
    probabilities: Object.fromEntries(LABELS.map((l) => [l, l === 'mel' ? 0.7 : 0.05])),
    top_label: 'mel',
    top_label_display: 'Melanoma',
    risk: 'high',
    recommended_action: '',
    disclaimer: 'A screening aid, not a diagnosis.',
    server_latency_ms: 100,
    device: null,
    lesion_id: null,
    reviews: [],
    patient_name: 'Pat Patient',
    reviewed: false,
    lesion_name: 'Mole on left shoulder',
    ...over,
  };
}

beforeEach(async () => {
  await signedIn(2);
});

describe('worklist', () => {
  it('starts with the unreviewed, filters by risk, reviewed and date, and opens a screening', async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me', { status: 200, body: clara });
    server.on('GET', '/api/v1/clinician/worklist', { status: 200, body: { items: [item()], count: 1 } });
    renderApp(<WorklistScreen />);

    expect(await screen.findByTestId(`worklist-${S}`)).toHaveTextContent(/Pat Patient · high risk.*Melanoma · Mole on left shoulder/);
    fireEvent.press(screen.getByTestId('worklist-risk-high'));
    fireEvent.press(screen.getByTestId('worklist-reviewed-all'));
    fireEvent.changeText(screen.getByTestId('worklist-from'), '2026-12');
    expect(screen.getByTestId('worklist-from-error')).toHaveTextContent('Use a date as YYYY-MM-DD.');
    fireEvent.changeText(screen.getByTestId('worklist-from'), '2026-12-01');

    await waitFor(() => {
      const last = server.calls.filter((c) => c.path === '/api/v1/clinician/worklist').at(-1)!;
      expect(last.query.get('risk')).toBe('high');
      expect(last.query.get('reviewed')).toBeNull();
      expect(last.query.get('date_from')).toBe('2026-12-01');
    }, { timeout: 5000 });
    const first = server.calls.find((c) => c.path === '/api/v1/clinician/worklist')!;
    expect(first.query.get('reviewed')).toBe('false');
    expect(server.calls.some((c) => c.query.get('date_from') === '2026-12')).toBe(false);

    fireEvent.press(await screen.findByTestId(`worklist-${S}`));
    expect(router.push).toHaveBeenCalledWith({ pathname: '/worklist/[id]', params: { id: S } });
  });
});

describe('review', () => {
  function serve() {
    jest.mocked(useLocalSearchParams).mockReturnValue({ id: S });
    const server = fakeServer();
    let reviews: Record<string, unknown>[] = [];
    server.on('GET', '/api/v1/auth/me', { status: 200, body: clara });
    server.on('GET', `/api/v1/screenings/${S}`, { status: 200, body: item() });
    // Like a slow network: the reviews read after a save can arrive after the clinician has amended.
    server.on('GET', `/api/v1/screenings/${S}/reviews`, async () => {
      const body = reviews;
      if (body.length) await new Promise((resolve) => setTimeout(resolve, 300));
      return { status: 200, body };
    });
    server.on('PUT', `/api/v1/screenings/${S}/review`, async ({ body }) => {
      // The amendment takes longer than reading the first review back.
      if (reviews.length) await new Promise((resolve) => setTimeout(resolve, 600));
      const b = body as { impression: string; note: string; follow_up_weeks: number | null };
      const previous = (reviews[0]?.revisions as Record<string, unknown>[] | undefined) ?? [];
      const number = previous.length + 1;
      const display = b.impression === 'monitor' ? 'Monitor' : 'Excise or biopsy';
      const revision = { number, impression: b.impression, note: b.note, follow_up_weeks: b.follow_up_weeks, diagnosis_label: null, created_at: `2026-12-04T1${number}:00:00Z` };
      reviews = [
        {
          id: 1,
          screening_id: S,
          clinician_id: 2,
          clinician_name: 'Dr. Clara Klein',
          impression: b.impression,
          impression_display: display,
          note: b.note,
          follow_up_weeks: b.follow_up_weeks,
          diagnosis_label: null,
          revision: number,
          created_at: '2026-12-04T11:00:00Z',
          updated_at: revision.created_at,
          revisions: [...previous, revision],
        },
      ];
      return { status: 200, body: reviews[0] };
    });
    return server;
  }

  it('saves a review with impression, note and follow-up; amending keeps the history', async () => {
    const server = serve();
    renderApp(<ReviewScreen />);

    // Given the screening and its model answer
    expect(await screen.findByTestId('review-result')).toHaveTextContent(/high risk · most like Melanoma/);
    // When saving without an impression, nothing is sent
    fireEvent.press(await screen.findByTestId('review-save'));
    expect(screen.getByTestId('review-impression-error')).toHaveTextContent('Choose an impression.');
    expect(server.calls.filter((c) => c.method === 'PUT')).toHaveLength(0);

    // When the clinician reviews it
    fireEvent.press(screen.getByTestId('review-impression-monitor'));
    fireEvent.changeText(screen.getByTestId('review-note'), ' Photograph again in 3 months. ');
    fireEvent.changeText(screen.getByTestId('review-weeks'), '12');
    fireEvent.press(screen.getByTestId('review-save'));

    // Then it is saved and said so
    expect(await screen.findByTestId('review-message', {}, { timeout: 5000 })).toHaveTextContent('Review saved. The patient can see it now.');
    expect(server.calls.filter((c) => c.method === 'PUT').map((c) => c.body)).toEqual([{ impression: 'monitor', note: 'Photograph again in 3 months.', follow_up_weeks: 12 }]);

    // When they amend it straight away (before the saved review has been read back)
    fireEvent.press(screen.getByTestId('review-impression-excise_or_biopsy'));
    // (and the first review read back lands while they are about to save: their choice stays)
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(screen.getByTestId('review-impression-excise_or_biopsy')).toBeSelected();
    fireEvent.press(screen.getByTestId('review-save'));

    // Then the history shows both versions
    expect(await screen.findByTestId('review-1-revision-2', {}, { timeout: 5000 })).toHaveTextContent(/Version 2.*Excise or biopsy/);
    expect(screen.getByTestId('review-1-revision-1')).toHaveTextContent(/Version 1.*Monitor.*Photograph again in 3 months.*12 weeks/);
    expect(screen.getByTestId('review-message')).toHaveTextContent('Review amended (version 2).');
    // And the form shows what is on record now
    await waitFor(() => expect(screen.getByTestId('review-impression-excise_or_biopsy')).toBeSelected());
    expect(screen.getByTestId('review-impression-monitor')).not.toBeSelected();
  });
});
