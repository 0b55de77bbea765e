/** The "cannot assess" outcome on the result and detail screens: no lesion type, no risk level, no bars. */
import { screen } from '@testing-library/react-native';
import { useLocalSearchParams } from 'expo-router';

import { CANNOT_ASSESS_MESSAGE, LABELS } from '@/contract';
import { fakeServer, renderApp, signedIn, user } from '@/test/utils';
import { useModel, useOutbox } from '../engine';
import type { ModelAnswer } from '../engine.types';
import { rememberRun } from '../queries';
import { DetailScreen } from './DetailScreen';
import { ResultScreen } from './ResultScreen';

jest.mock('../engine', () => ({
  useModel: jest.fn(),
  useOutbox: jest.fn(),
  disagree: () => false,
}));

const VERSION = '2026.12.04-ham10000-r21';

function refused(source: 'device' | 'server'): ModelAnswer {
  // what the classifier computed stays in the answer, but the outcome withholds it
  return {
    source,
    modelVersion: VERSION,
    probabilities: LABELS.map((l) => (l === 'nv' ? 0.9 : 0.1 / 6)),
    topLabel: 'nv',
    confidence: 0.9,
    risk: 'low',
    latencyMs: 40,
    outcome: 'cannot_assess',
    oodScore: 9000,
  };
}

beforeEach(async () => {
  await signedIn();
  jest.mocked(useModel).mockReturnValue({ state: 'ready', manifest: { version: VERSION } as never, source: 'bootstrap' });
  jest.mocked(useOutbox).mockReturnValue({ items: [], flush: jest.fn(async () => undefined) });
});

describe('ResultScreen when the model cannot assess the photo', () => {
  it('shows retake / see a clinician and no type, risk, bars or booking', async () => {
    // Given both the device and the server refused the photo
    const clientUuid = '44444444-4444-4444-8444-444444444444';
    rememberRun({
      outcome: {
        kind: 'done',
        clientUuid,
        device: refused('device'),
        server: refused('server'),
        screeningId: null,
        disagreement: false,
        fallback: { askServer: true, reasons: ['cannot_assess'] },
        recommendedAction: CANNOT_ASSESS_MESSAGE,
        disclaimer: 'Screening aid only, not a diagnosis.',
      },
      photo: { uri: 'file:///p.jpg' },
      bodySite: '',
      note: '',
      quality: null,
      qualityOverridden: false,
      finishedAt: '2026-12-04T10:00:00Z',
    });
    jest.mocked(useLocalSearchParams).mockReturnValue({ clientUuid });
    fakeServer().on('GET', '/api/v1/auth/me', { status: 200, body: user });
    // When the result is shown
    renderApp(<ResultScreen />);
    // Then it says cannot assess, and nothing of the withheld verdict
    expect(await screen.findByTestId('result-cannot-assess-title')).toHaveTextContent(/Cannot assess: retake the photo or see a clinician/);
    expect(screen.getByTestId('result-cannot-assess-action')).toHaveTextContent(/Retake the photo, or see a clinician/);
    expect(screen.queryByTestId('result-banner')).toBeNull();
    expect(screen.queryByTestId('result-bars-card')).toBeNull();
    expect(screen.queryByTestId('result-book')).toBeNull();
    expect(screen.queryByTestId('answer-device-top')).toBeNull();
    expect(screen.getByTestId('answer-device-cannot-assess')).toHaveTextContent('Cannot assess');
    expect(screen.getByTestId('answer-server-cannot-assess')).toHaveTextContent('Cannot assess');
    expect(screen.queryByText(/Melanocytic nevus/)).toBeNull();
    expect(screen.getByTestId('result-fallback')).toHaveTextContent(/could not assess the photo/);
  });
});

describe('DetailScreen when the server could not assess the photo', () => {
  it('shows the cannot-assess banner and no type, risk or bars', async () => {
    // Given the server's screening with outcome cannot_assess (label, risk and probabilities withheld)
    const id = 'aaaaaaaa-0000-4000-8000-000000000077';
    jest.mocked(useLocalSearchParams).mockReturnValue({ id });
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me', { status: 200, body: user });
    server.on('GET', `/api/v1/screenings/${id}`, {
        status: 200,
        body: {
          id,
          client_uuid: null,
          owner_id: 7,
          source: 'online',
          captured_at: '2026-12-04T09:00:00Z',
          created_at: '2026-12-04T09:00:01Z',
          body_site: '',
          note: '',
          photo_url: `/api/v1/screenings/${id}/photo`,
          photo_width: 600,
          photo_height: 450,
          model_version: VERSION,
          model_synthetic: false,
          labels: [...LABELS],
          outcome: 'cannot_assess',
          ood_score: 9000,
          probabilities: null,
          top_label: null,
          top_label_display: null,
          risk: null,
          recommended_action: CANNOT_ASSESS_MESSAGE,
          disclaimer: 'This is a screening aid, not a diagnosis.',
          server_latency_ms: 300,
          device: null,
        },
      });
    // When it is opened
    renderApp(<DetailScreen />);
    // Then
    expect(await screen.findByTestId('detail-cannot-assess-title')).toHaveTextContent(/Cannot assess/);
    expect(screen.queryByTestId('detail-banner')).toBeNull();
    expect(screen.queryByTestId('detail-bars')).toBeNull();
    expect(screen.queryByTestId('detail-book')).toBeNull();
    expect(screen.getByTestId('detail-model-version')).toHaveTextContent(/2026\.12\.04-ham10000-r21/);
  });
});
