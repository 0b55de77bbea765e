import { fireEvent, render, screen, waitFor } from '@testing-library/react-native';
import * as ImagePicker from 'expo-image-picker';
import { router, useLocalSearchParams } from 'expo-router';

import { LABELS, type Label, type RiskLevel } from '@/contract';
import { fakeServer, page, renderApp, signedIn, user } from '@/test/utils';
import { getClassifier, preparePhoto, retryOutboxItem, screenPhoto, useModel, useOutbox } from '../engine';
import type { ModelAnswer, OutboxItem, ScreeningOutcome } from '../engine.types';
import { RiskBanner } from '../components/RiskBanner';
import { rememberRun, type ScreeningRun } from '../queries';
import { DetailScreen } from './DetailScreen';
import { HistoryScreen } from './HistoryScreen';
import { NewScreeningScreen } from './NewScreeningScreen';
import { QueueScreen } from './QueueScreen';
import { ResultScreen } from './ResultScreen';
import { myClinicians, ShareScreen } from './ShareScreen';

// The engine (LiteRT / fast-tflite, SQLite outbox, model downloads) is mocked at its public surface:
// these tests are about what the screens show and send.
jest.mock('../engine', () => ({
  getClassifier: jest.fn(),
  preparePhoto: jest.fn(),
  screenPhoto: jest.fn(),
  useModel: jest.fn(),
  useOutbox: jest.fn(),
  retryOutboxItem: jest.fn(async () => undefined),
  disagree: (d: ModelAnswer | null, s: ModelAnswer | null) => !!d && !!s && (d.topLabel !== s.topLabel || d.risk !== s.risk),
}));

jest.mock('expo-image-picker', () => ({
  requestCameraPermissionsAsync: jest.fn(),
  requestMediaLibraryPermissionsAsync: jest.fn(),
  launchCameraAsync: jest.fn(),
  launchImageLibraryAsync: jest.fn(),
}));

const SIZE = 176;
const manifest = { version: '2026.12.04-ham10000-r20', input: { height: SIZE, width: SIZE, channels: 3 } };

/** A skin-coloured frame with a dark disc; `cx`/`cy` as fractions of the side. */
function lesionTensor(cx = 0.5, cy = 0.5, radius = 30): Uint8Array {
  const out = new Uint8Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y += 1) {
    for (let x = 0; x < SIZE; x += 1) {
      const inside = Math.hypot(x - cx * SIZE, y - cy * SIZE) <= radius;
      out.set(inside ? [92, 58, 44] : [214, 170, 150], (y * SIZE + x) * 3);
    }
  }
  return out;
}

function answer(source: 'device' | 'server', top: Label, risk: RiskLevel, confidence = 0.6): ModelAnswer {
  const rest = (1 - confidence) / (LABELS.length - 1);
  return {
    source,
    modelVersion: manifest.version,
    probabilities: LABELS.map((l) => (l === top ? confidence : rest)),
    topLabel: top,
    confidence,
    risk,
    latencyMs: source === 'device' ? 48 : 310,
  };
}

function outboxItem(over: Partial<OutboxItem> = {}): OutboxItem {
  return {
    clientUuid: '11111111-1111-4111-8111-111111111111',
    capturedAt: '2026-12-04T10:00:00Z',
    photoUri: 'file:///photo.jpg',
    status: 'queued',
    attempts: 0,
    nextAttemptAt: null,
    lastError: null,
    device: answer('device', 'nv', 'low'),
    screeningId: null,
    ...over,
  };
}

const flush = jest.fn(async () => undefined);

function serverScreening(over: Record<string, unknown> = {}) {
  const probabilities = Object.fromEntries(LABELS.map((l) => [l, l === 'mel' ? 0.7 : 0.05]));
  return {
    id: 'aaaaaaaa-0000-4000-8000-000000000001',
    client_uuid: null,
    owner_id: 7,
    source: 'online',
    captured_at: '2026-12-04T09:00:00Z',
    created_at: '2026-12-04T09:00:01Z',
    body_site: 'Back',
    note: 'It grew',
    photo_url: '/api/v1/screenings/aaaaaaaa-0000-4000-8000-000000000001/photo',
    photo_width: 600,
    photo_height: 450,
    model_version: manifest.version,
    model_synthetic: false,
    labels: [...LABELS],
    probabilities,
    top_label: 'mel',
    top_label_display: 'Melanoma',
    risk: 'high',
    recommended_action: 'Book an appointment with a dermatologist soon (within two weeks).',
    disclaimer: 'This is a screening aid, not a diagnosis.',
    server_latency_ms: 300,
    device: null,
    ...over,
  };
}

beforeEach(async () => {
  await signedIn();
  jest.mocked(useModel).mockReturnValue({ state: 'ready', manifest: manifest as never, source: 'bootstrap' });
  jest.mocked(useOutbox).mockReturnValue({ items: [], flush });
  jest.mocked(getClassifier).mockResolvedValue({ modelVersion: manifest.version, inputSize: SIZE, classify: jest.fn(), dispose: jest.fn() });
});

function baseServer() {
  const server = fakeServer();
  server.on('GET', '/api/v1/auth/me', { status: 200, body: user });
  return server;
}

describe('NewScreeningScreen', () => {
  beforeEach(() => {
    jest.mocked(ImagePicker.requestCameraPermissionsAsync).mockResolvedValue({ granted: true, canAskAgain: true } as never);
    jest.mocked(ImagePicker.launchCameraAsync).mockResolvedValue({
      canceled: false,
      assets: [{ uri: 'file:///camera/1.jpg', width: 4000, height: 3000, mimeType: 'image/jpeg' }],
    } as never);
  });

  it('takes a photo, checks it, and screens it with the body site and note', async () => {
    baseServer();
    jest.mocked(preparePhoto).mockResolvedValue({ tensor: lesionTensor(), size: SIZE, preprocessMs: 12 });
    const outcome: ScreeningOutcome = {
      kind: 'done',
      clientUuid: '22222222-2222-4222-8222-222222222222',
      device: answer('device', 'nv', 'low'),
      server: null,
      screeningId: null,
      disagreement: false,
      fallback: { askServer: false, reasons: [] },
      recommendedAction: '',
      disclaimer: 'Screening aid only.',
    };
    jest.mocked(screenPhoto).mockResolvedValue(outcome);
    renderApp(<NewScreeningScreen />);

    expect(await screen.findByTestId('model-status')).toHaveTextContent(/2026\.12\.04-ham10000-r20 is ready on this device/);
    expect(getClassifier).toHaveBeenCalledTimes(1); // started when the screen opened, before any photo
    fireEvent.press(screen.getByTestId('capture-camera'));
    expect(await screen.findByTestId('quality-ok')).toHaveTextContent(/looks usable/);
    expect(preparePhoto).toHaveBeenCalledWith(expect.objectContaining({ uri: 'file:///camera/1.jpg' }), 176);

    fireEvent.press(screen.getByTestId('body-site-back'));
    fireEvent.changeText(screen.getByTestId('screening-note'), '  grew this summer ');
    fireEvent.press(screen.getByTestId('screening-submit'));

    await waitFor(() =>
      expect(router.push).toHaveBeenCalledWith({ pathname: '/screening/result/[clientUuid]', params: { clientUuid: outcome.clientUuid } }),
    );
    expect(screenPhoto).toHaveBeenCalledWith(expect.objectContaining({ uri: 'file:///camera/1.jpg' }), { askServer: false, bodySite: 'Back', note: 'grew this summer' });
    // Back on this screen, the next screening starts from a clean form.
    expect(screen.queryByTestId('capture-preview')).toBeNull();
    expect(screen.queryByTestId('screening-submit')).toBeNull();
  });

  it('asks for a retake when the photo is blurry, and only screens it when the person insists', async () => {
    baseServer();
    jest.mocked(preparePhoto).mockResolvedValue({ tensor: new Uint8Array(SIZE * SIZE * 3).fill(128), size: SIZE, preprocessMs: 10 });
    renderApp(<NewScreeningScreen />);

    fireEvent.press(screen.getByTestId('capture-camera'));
    expect(await screen.findByTestId('quality-issues')).toHaveTextContent(/Please retake the photo/);
    expect(screen.getByTestId('quality-issue-too_blurry')).toHaveTextContent(/Hold the phone steady/);
    expect(screen.getByTestId('screening-submit')).toBeDisabled();

    fireEvent.press(screen.getByTestId('quality-override'));
    expect(screen.getByTestId('screening-submit')).toBeEnabled();
  });

  it('says the server will screen when the on-device runtime cannot start', async () => {
    baseServer();
    jest.mocked(getClassifier).mockRejectedValue(new Error('LiteRT WASM could not be loaded'));
    renderApp(<NewScreeningScreen />);
    await waitFor(() => expect(screen.getByTestId('model-status')).toHaveTextContent(/not available \(LiteRT WASM could not be loaded\).*server will screen/));
  });

  it('explains where to turn the camera back on when access was refused for good', async () => {
    baseServer();
    jest.mocked(ImagePicker.requestCameraPermissionsAsync).mockResolvedValue({ granted: false, canAskAgain: false } as never);
    renderApp(<NewScreeningScreen />);

    fireEvent.press(screen.getByTestId('capture-camera'));
    expect(await screen.findByTestId('capture-message')).toHaveTextContent(/Camera access is turned off.*Settings/);
    expect(screen.getByTestId('capture-settings')).toBeTruthy();
    expect(ImagePicker.launchCameraAsync).not.toHaveBeenCalled();
  });

  it('says a file that cannot be decoded is not a usable photo', async () => {
    baseServer();
    jest.mocked(preparePhoto).mockRejectedValue(new Error('The image could not be decoded'));
    renderApp(<NewScreeningScreen />);
    fireEvent.press(screen.getByTestId('capture-camera'));
    expect(await screen.findByTestId('quality-error')).toHaveTextContent(/could not be read as a photo/);
    expect(screen.queryByTestId('screening-submit')).toBeNull();
  });

  it('says the server will screen when no model is ready, and links the waiting queue', async () => {
    baseServer();
    jest.mocked(useModel).mockReturnValue({ state: 'error', error: 'model file failed its sha256 check' });
    jest.mocked(useOutbox).mockReturnValue({ items: [outboxItem()], flush });
    renderApp(<NewScreeningScreen />);
    expect(screen.getByTestId('model-status')).toHaveTextContent(/not available \(model file failed its sha256 check\).*server will screen/);
    fireEvent.press(screen.getByTestId('goto-queue'));
    expect(router.push).toHaveBeenCalledWith('/screening/queue');
  });
});

function run(outcome: ScreeningRun['outcome'], over: Partial<ScreeningRun> = {}): ScreeningRun {
  const r: ScreeningRun = {
    outcome,
    photo: { uri: 'file:///p.jpg' },
    bodySite: '',
    note: '',
    quality: null,
    qualityOverridden: false,
    finishedAt: '2026-12-04T10:00:00Z',
    ...over,
  };
  rememberRun(r);
  return r;
}

describe('ResultScreen', () => {
  it('shows both answers side by side, flags a disagreement and offers to book on a high risk', async () => {
    baseServer();
    const clientUuid = '33333333-3333-4333-8333-333333333333';
    const device = answer('device', 'nv', 'low', 0.55);
    const server = answer('server', 'mel', 'high', 0.62);
    run({
      kind: 'done',
      clientUuid,
      device,
      server,
      screeningId: 'aaaaaaaa-0000-4000-8000-000000000009',
      disagreement: true,
      fallback: { askServer: true, reasons: ['low_confidence'] },
      recommendedAction: 'Book an appointment with a dermatologist soon (within two weeks).',
      disclaimer: 'This is a screening aid, not a diagnosis.',
    });
    jest.mocked(useLocalSearchParams).mockReturnValue({ clientUuid });
    renderApp(<ResultScreen />);

    expect(await screen.findByTestId('result-banner-risk')).toHaveTextContent(/Higher risk/);
    expect(screen.getByTestId('result-banner-top')).toHaveTextContent('Most similar to: Melanoma (62.0 %)');
    expect(screen.getByTestId('result-banner-action')).toHaveTextContent(/within two weeks/);
    expect(screen.getByTestId('answer-device-top')).toHaveTextContent('Melanocytic nevus');
    expect(screen.getByTestId('answer-server-top')).toHaveTextContent('Melanoma');
    expect(screen.getByTestId('answers-disagree')).toHaveTextContent(/disagree.*server’s answer is the one on record/);
    expect(screen.getByTestId('result-bars-mel')).toHaveTextContent(/Melanoma.*62\.0 %/);
    expect(screen.getByTestId('result-model-version')).toHaveTextContent(/Model 2026\.12\.04-ham10000-r20 · answer of record from the clinic’s server/);
    expect(screen.getByTestId('result-fallback')).toHaveTextContent(/device model was unsure/);
    expect(screen.getByTestId('result-disclaimer')).toHaveTextContent(/not a diagnosis/);
    // The raw on-device probabilities are in the tree for the end-to-end test, hidden from people and screen readers.
    expect(screen.queryByTestId('result-device-probabilities')).toBeNull();
    expect(screen.getByTestId('result-device-probabilities', { includeHiddenElements: true })).toHaveTextContent(JSON.stringify(device.probabilities));

    fireEvent.press(screen.getByTestId('result-book'));
    expect(router.push).toHaveBeenCalledWith('/appointments/book');
  });

  it('shows the device answer as queued while offline, with the outbox state, and no booking for a low risk', async () => {
    baseServer();
    const item = outboxItem({ status: 'failed', attempts: 3, lastError: 'The photo is not a JPEG, PNG or HEIC image' });
    run({ kind: 'queued', clientUuid: item.clientUuid, device: item.device, fallback: { askServer: false, reasons: [] }, disclaimer: 'Screening aid only, not a diagnosis.' });
    jest.mocked(useOutbox).mockReturnValue({ items: [item], flush });
    jest.mocked(useLocalSearchParams).mockReturnValue({ clientUuid: item.clientUuid });
    renderApp(<ResultScreen />);

    expect(await screen.findByTestId('result-queued')).toHaveTextContent(/Queued – will sync.*model on your phone only/);
    expect(screen.getByTestId('result-sync-status')).toHaveTextContent('Not sent: The photo is not a JPEG, PNG or HEIC image.');
    expect(screen.getByTestId('result-banner-risk')).toHaveTextContent(/Lower risk/);
    expect(screen.getByTestId('answer-server')).toHaveTextContent(/Will be asked when this syncs/);
    expect(screen.queryByTestId('result-book')).toBeNull();
    expect(screen.getByTestId('result-model-version')).toHaveTextContent(/answer from this device/);
  });

  it('shows the server’s answer as the one of record once a queued screening has synced', async () => {
    baseServer();
    const device = answer('device', 'nv', 'low', 0.5);
    const item = outboxItem({ clientUuid: '88888888-8888-4888-8888-888888888888', status: 'synced', device, server: answer('server', 'bkl', 'medium', 0.48), screeningId: 'dddddddd-0000-4000-8000-000000000001' });
    run({ kind: 'queued', clientUuid: item.clientUuid, device, fallback: { askServer: true, reasons: ['user_request'] }, disclaimer: 'Screening aid only, not a diagnosis.' });
    jest.mocked(useOutbox).mockReturnValue({ items: [item], flush });
    jest.mocked(useLocalSearchParams).mockReturnValue({ clientUuid: item.clientUuid });
    renderApp(<ResultScreen />);

    expect(await screen.findByTestId('result-synced')).toHaveTextContent(/its answer below is the one of record/);
    expect(screen.queryByTestId('result-queued')).toBeNull();
    expect(screen.getByTestId('result-banner-risk')).toHaveTextContent(/Medium risk/);
    expect(screen.getByTestId('answer-server-top')).toHaveTextContent('Benign keratosis-like lesion');
    expect(screen.getByTestId('answers-disagree')).toBeTruthy();
    fireEvent.press(screen.getByTestId('result-open-detail'));
    expect(router.push).toHaveBeenCalledWith({ pathname: '/screening/detail/[id]', params: { id: 'dddddddd-0000-4000-8000-000000000001' } });
  });

  it('says why the server gave no second answer when it refused the photo', async () => {
    baseServer();
    const clientUuid = '99999999-9999-4999-8999-999999999999';
    run({
      kind: 'done',
      clientUuid,
      device: answer('device', 'mel', 'high', 0.7),
      server: null,
      screeningId: null,
      disagreement: false,
      fallback: { askServer: true, reasons: ['high_risk'] },
      recommendedAction: 'Book an appointment with a dermatologist soon.',
      disclaimer: 'Screening aid only, not a diagnosis.',
      serverError: 'The photo is larger than the limit of 15728640 bytes.',
    });
    jest.mocked(useLocalSearchParams).mockReturnValue({ clientUuid });
    renderApp(<ResultScreen />);
    expect(await screen.findByTestId('result-server-error')).toHaveTextContent(/no second answer: The photo is larger than the limit/);
    expect(screen.getByTestId('result-banner-action')).toHaveTextContent('Book an appointment with a dermatologist soon.');
    expect(screen.getByTestId('result-book')).toBeTruthy();
  });

  it('after a reload, sends a synced screening to its server record', async () => {
    baseServer();
    const item = outboxItem({ clientUuid: '44444444-4444-4444-8444-444444444444', status: 'synced', screeningId: 'bbbbbbbb-0000-4000-8000-000000000001' });
    jest.mocked(useOutbox).mockReturnValue({ items: [item], flush });
    jest.mocked(useLocalSearchParams).mockReturnValue({ clientUuid: item.clientUuid });
    renderApp(<ResultScreen />);
    fireEvent.press(await screen.findByTestId('result-open-detail'));
    expect(router.replace).toHaveBeenCalledWith({ pathname: '/screening/detail/[id]', params: { id: 'bbbbbbbb-0000-4000-8000-000000000001' } });
  });
});

describe('RiskBanner', () => {
  it('explains a higher risk whose most similar type is benign by the malignant types adding up', () => {
    const probabilities = LABELS.map((l) => ({ akiec: 0.02, bcc: 0.015, bkl: 0.04, df: 0.02, mel: 0.345, nv: 0.446, vasc: 0.114 })[l]);
    render(<RiskBanner risk="high" topLabel="nv" confidence={0.446} probabilities={probabilities} testID="banner" />);
    expect(screen.getByTestId('banner-top')).toHaveTextContent('Most similar to: Melanocytic nevus (44.6 %)');
    expect(screen.getByTestId('banner-mass')).toHaveTextContent(/can be malignant .* together reach 38\.0 %/);
  });

  it('adds no such note when the most similar type is itself high-risk', () => {
    const probabilities = LABELS.map((l) => (l === 'mel' ? 0.7 : 0.05));
    render(<RiskBanner risk="high" topLabel="mel" confidence={0.7} probabilities={probabilities} testID="banner" />);
    expect(screen.queryByTestId('banner-mass')).toBeNull();
  });
});

describe('HistoryScreen', () => {
  it('lists server screenings and waiting ones, and filters by risk on the server', async () => {
    const server = baseServer();
    const queries: string[] = [];
    server.on('GET', '/api/v1/screenings', (req) => {
      queries.push(req.query.toString());
      return page(req.query.get('risk') === 'low' ? [] : [serverScreening()]);
    });
    jest.mocked(useOutbox).mockReturnValue({ items: [outboxItem()], flush });
    renderApp(<HistoryScreen />);

    const row = await screen.findByTestId('history-aaaaaaaa-0000-4000-8000-000000000001');
    expect(row).toHaveTextContent(/Higher risk · most like Melanoma/);
    expect(screen.getByTestId(`history-waiting-${outboxItem().clientUuid}`)).toHaveTextContent(/Lower risk · most like Melanocytic nevus \(this device\).*waiting to sync/);

    fireEvent.press(screen.getByTestId('history-risk-low'));
    await waitFor(() => expect(queries.some((q) => q.includes('risk=low'))).toBe(true));
    await waitFor(() => expect(screen.queryByTestId('history-aaaaaaaa-0000-4000-8000-000000000001')).toBeNull());
    expect(screen.getByTestId(`history-waiting-${outboxItem().clientUuid}`)).toBeTruthy(); // its device risk is low

    fireEvent.press(screen.getByTestId('history-risk-high'));
    await screen.findByTestId('history-aaaaaaaa-0000-4000-8000-000000000001');
    expect(screen.queryByTestId(`history-waiting-${outboxItem().clientUuid}`)).toBeNull();

    fireEvent.press(screen.getByTestId('history-source-sync'));
    await waitFor(() => expect(queries.some((q) => q.includes('source=sync'))).toBe(true));

    fireEvent.press(screen.getByTestId('history-source-waiting'));
    fireEvent.press(screen.getByTestId('history-risk-all'));
    expect(screen.getByTestId(`history-waiting-${outboxItem().clientUuid}`)).toBeTruthy();
    expect(screen.queryByTestId('history-list')).toBeNull();
  });

  it('shows the offline state when the history cannot load', async () => {
    const server = baseServer();
    server.on('GET', '/api/v1/screenings', () => 'offline');
    renderApp(<HistoryScreen />);
    expect(await screen.findByTestId('state-offline')).toBeTruthy();
  });
});

describe('DetailScreen', () => {
  beforeEach(() => {
    jest.mocked(useLocalSearchParams).mockReturnValue({ id: 'aaaaaaaa-0000-4000-8000-000000000001' });
  });

  it('shows the answer of record with the phone comparison, and deletes only after confirming', async () => {
    const server = baseServer();
    const device = {
      model_version: manifest.version,
      same_model_version: true,
      top_label: 'nv',
      probabilities: Object.fromEntries(LABELS.map((l) => [l, l === 'nv' ? 0.5 : 0.08])),
      latency_ms: 40,
      server_top_label: 'mel',
      agrees_top1: false,
      max_abs_difference: 0.42,
    };
    server.on('GET', '/api/v1/screenings/aaaaaaaa-0000-4000-8000-000000000001', { status: 200, body: serverScreening({ device }) });
    server.on('DELETE', '/api/v1/screenings/aaaaaaaa-0000-4000-8000-000000000001', { status: 204 });
    renderApp(<DetailScreen />);

    expect(await screen.findByTestId('detail-banner-risk')).toHaveTextContent(/Higher risk/);
    expect(screen.getByTestId('detail-banner-action')).toHaveTextContent(/within two weeks/);
    expect(screen.getByTestId('detail-agreement')).toHaveTextContent(/disagree/);
    expect(screen.getByTestId('detail-model-version')).toHaveTextContent(/2026\.12\.04-ham10000-r20/);
    expect(screen.getByTestId('detail-disclaimer')).toHaveTextContent(/not a diagnosis/);
    expect(screen.getByTestId('detail-book')).toBeTruthy();

    fireEvent.press(screen.getByTestId('detail-delete'));
    expect(server.calls.some((c) => c.method === 'DELETE')).toBe(false);
    fireEvent.press(screen.getByTestId('detail-delete-no'));
    expect(screen.queryByTestId('detail-delete-confirm')).toBeNull();

    fireEvent.press(screen.getByTestId('detail-delete'));
    fireEvent.press(screen.getByTestId('detail-delete-yes'));
    await waitFor(() => expect(router.replace).toHaveBeenCalledWith('/screening/history'));
    expect(server.calls.filter((c) => c.method === 'DELETE')).toHaveLength(1);
  });

  it('keeps the screening and says why when the delete fails', async () => {
    const server = baseServer();
    server.on('GET', '/api/v1/screenings/aaaaaaaa-0000-4000-8000-000000000001', { status: 200, body: serverScreening({ risk: 'low', top_label: 'nv' }) });
    server.on('DELETE', '/api/v1/screenings/aaaaaaaa-0000-4000-8000-000000000001', () => 'offline');
    renderApp(<DetailScreen />);
    fireEvent.press(await screen.findByTestId('detail-delete'));
    fireEvent.press(screen.getByTestId('detail-delete-yes'));
    expect(await screen.findByTestId('detail-delete-message')).toHaveTextContent(/offline/);
    expect(router.replace).not.toHaveBeenCalled();
    expect(screen.queryByTestId('detail-book')).toBeNull();
  });
});

describe('ShareScreen', () => {
  const clara = { id: 2, full_name: 'Dr. Clara Klein', speciality: 'Dermatology', clinic: 'Mitte', time_zone: 'Europe/Berlin' };
  const ben = { id: 3, full_name: 'Dr. Ben Brandt', speciality: 'GP', clinic: 'Nord', time_zone: 'Europe/Berlin' };
  const appt = (id: number, clinician: typeof clara, status: string) => ({
    id,
    clinician,
    patient: { id: 7, full_name: 'Pat Patient' },
    start: '2026-12-10T09:00:00Z',
    end: '2026-12-10T09:30:00Z',
    time_zone: 'Europe/Berlin',
    status,
    reason: '',
    created_at: '2026-12-01T09:00:00Z',
  });

  it('offers each clinician of my appointments once (cancelled-only ones left out)', () => {
    expect(myClinicians([appt(1, clara, 'booked'), appt(2, clara, 'done'), appt(3, ben, 'cancelled')]).map((c) => c.id)).toEqual([2]);
  });

  it('shares with a clinician and shows that they can now see it', async () => {
    jest.mocked(useLocalSearchParams).mockReturnValue({ id: 'aaaaaaaa-0000-4000-8000-000000000001' });
    const server = baseServer();
    const shares: { screening_id: string; clinician_id: number; clinician_name: string; created_at: string }[] = [];
    server.on('GET', '/api/v1/appointments', page([appt(1, clara, 'booked'), appt(2, ben, 'done')]));
    server.on('GET', '/api/v1/screenings/aaaaaaaa-0000-4000-8000-000000000001/shares', () => ({ status: 200, body: shares }));
    server.on('POST', '/api/v1/screenings/aaaaaaaa-0000-4000-8000-000000000001/shares', (req) => {
      const share = { screening_id: 'aaaaaaaa-0000-4000-8000-000000000001', clinician_id: (req.body as { clinician_id: number }).clinician_id, clinician_name: 'Dr. Clara Klein', created_at: '2026-12-04T10:00:00Z' };
      shares.push(share);
      return { status: 201, body: share };
    });
    renderApp(<ShareScreen />);

    expect(await screen.findByTestId('share-state-2')).toHaveTextContent('Cannot see this screening');
    fireEvent.press(screen.getByTestId('share-toggle-2'));
    expect(await screen.findByTestId('share-message')).toHaveTextContent('Shared with Dr. Clara Klein.');
    await waitFor(() => expect(screen.getByTestId('share-state-2')).toHaveTextContent('Can see this screening'));
    expect(screen.getByTestId('share-state-3')).toHaveTextContent('Cannot see this screening');
    expect(server.calls.find((c) => c.method === 'POST')?.body).toEqual({ clinician_id: 2 });
  });

  it('points to booking when there is no clinician to share with', async () => {
    jest.mocked(useLocalSearchParams).mockReturnValue({ id: 'aaaaaaaa-0000-4000-8000-000000000001' });
    const server = baseServer();
    server.on('GET', '/api/v1/appointments', page([]));
    server.on('GET', '/api/v1/screenings/aaaaaaaa-0000-4000-8000-000000000001/shares', { status: 200, body: [] });
    renderApp(<ShareScreen />);
    fireEvent.press(await screen.findByTestId('share-book'));
    expect(router.push).toHaveBeenCalledWith('/appointments/book');
  });
});

describe('QueueScreen', () => {
  it('shows each item’s state with the server’s reason, and retries on demand', async () => {
    baseServer();
    const failed = outboxItem({ clientUuid: '55555555-5555-4555-8555-555555555555', status: 'failed', attempts: 1, lastError: 'The photo is larger than the limit of 15728640 bytes.' });
    const synced = outboxItem({ clientUuid: '66666666-6666-4666-8666-666666666666', status: 'synced', screeningId: 'cccccccc-0000-4000-8000-000000000001' });
    const waiting = outboxItem({ clientUuid: '77777777-7777-4777-8777-777777777777', status: 'queued', attempts: 2, lastError: 'offline', nextAttemptAt: '2026-12-04T10:05:00Z' });
    jest.mocked(useOutbox).mockReturnValue({ items: [failed, synced, waiting], flush });
    renderApp(<QueueScreen />);

    expect(screen.getByTestId(`queue-state-${failed.clientUuid}`)).toHaveTextContent('Not sent');
    expect(screen.getByTestId(`queue-error-${failed.clientUuid}`)).toHaveTextContent(/larger than the limit/);
    expect(screen.getByTestId(`queue-state-${synced.clientUuid}`)).toHaveTextContent('Synced');
    expect(screen.getByTestId(`queue-state-${waiting.clientUuid}`)).toHaveTextContent('Waiting to send');
    expect(screen.getByTestId(`queue-item-${waiting.clientUuid}`)).toHaveTextContent(/Tried 2 times.*Next try/);

    fireEvent.press(screen.getByTestId('queue-retry'));
    // "Try again now" means now: the waiting item's back-off is reset (retry), not just a flush of what is due.
    await waitFor(() => expect(retryOutboxItem).toHaveBeenCalledWith(waiting.clientUuid));
    expect(retryOutboxItem).toHaveBeenCalledTimes(1);
    jest.mocked(retryOutboxItem).mockClear();
    fireEvent.press(screen.getByTestId(`queue-retry-${failed.clientUuid}`));
    expect(retryOutboxItem).toHaveBeenCalledWith(failed.clientUuid);
    expect(screen.queryByTestId(`queue-retry-${synced.clientUuid}`)).toBeNull();
    fireEvent.press(screen.getByTestId(`queue-open-${synced.clientUuid}`));
    expect(router.push).toHaveBeenCalledWith({ pathname: '/screening/detail/[id]', params: { id: 'cccccccc-0000-4000-8000-000000000001' } });
  });

  it('says when nothing is waiting', () => {
    baseServer();
    renderApp(<QueueScreen />);
    expect(screen.getByTestId('state-empty')).toHaveTextContent(/Nothing is waiting/);
    expect(screen.queryByTestId('queue-retry')).toBeNull();
  });
});
