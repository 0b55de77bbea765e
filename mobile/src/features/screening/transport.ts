/**
 * The engine's two screening uploads, multipart through the app's API client: POST /screenings (one
 * photo, answered now) and POST /screenings/sync (a batch from the outbox). The client UUID is the
 * idempotency key of both, so a replay never creates a second screening.
 */
import { api, type ApiResult } from '@/api';
import type { components } from '@/api/schema';
import { route } from '@/api/types';
import { LABELS } from '@/contract';

import { answerFromProbabilities } from './answer';
import type { ModelAnswer } from './engine.types';
import type { PhotoPart } from './outboxStore';

export type ScreeningOut = components['schemas']['ScreeningOut'];
export type SyncOut = components['schemas']['SyncOut'];

export type SendItem = {
  clientUuid: string;
  capturedAt: string;
  bodySite: string;
  note: string;
  device: ModelAnswer | null;
  photo: PhotoPart;
  mimeType: string;
};

export interface ScreeningTransport {
  create(item: SendItem): Promise<ApiResult<ScreeningOut>>;
  sync(items: SendItem[]): Promise<ApiResult<SyncOut>>;
}

/** The `device_result` the server records for the phone-vs-server agreement report. */
export function deviceResultJson(device: ModelAnswer): string {
  return JSON.stringify({ model_version: device.modelVersion, probabilities: device.probabilities, latency_ms: Math.round(device.latencyMs * 10) / 10 });
}

function fileName(clientUuid: string, mimeType: string): string {
  const ext = mimeType === 'image/png' ? 'png' : mimeType === 'image/heic' ? 'heic' : 'jpg';
  return `${clientUuid}.${ext}`;
}

function appendPhoto(form: FormData, field: string, item: SendItem) {
  if (typeof Blob !== 'undefined' && item.photo instanceof Blob) form.append(field, item.photo, fileName(item.clientUuid, item.mimeType));
  // React Native's FormData takes a {uri, name, type} file reference and streams the file itself.
  else form.append(field, item.photo as unknown as Blob);
}

export function createForm(item: SendItem): FormData {
  const form = new FormData();
  appendPhoto(form, 'photo', item);
  form.append('client_uuid', item.clientUuid);
  form.append('captured_at', item.capturedAt);
  if (item.bodySite) form.append('body_site', item.bodySite);
  if (item.note) form.append('note', item.note);
  if (item.device) form.append('device_result', deviceResultJson(item.device));
  return form;
}

export function syncForm(items: SendItem[]): FormData {
  const form = new FormData();
  const meta = items.map((item, i) => ({
    client_uuid: item.clientUuid,
    captured_at: item.capturedAt,
    photo: `photo_${i}`,
    body_site: item.bodySite,
    note: item.note,
    ...(item.device ? { device_result: JSON.parse(deviceResultJson(item.device)) as unknown } : {}),
  }));
  form.append('items', JSON.stringify(meta));
  items.forEach((item, i) => appendPhoto(form, `photo_${i}`, item));
  return form;
}

export const apiTransport: ScreeningTransport = {
  create: (item) => api.post<ScreeningOut>(route('/api/v1/screenings'), createForm(item), { headers: { 'Idempotency-Key': item.clientUuid } }),
  sync: (items) => api.post<SyncOut>(route('/api/v1/screenings/sync'), syncForm(items)),
};

/**
 * The server's screening as a ModelAnswer (probabilities in the contract's label order). A "cannot
 * assess" answer carries no verdict: its probabilities are zeros and its label and risk are
 * placeholders that no screen shows (they check `outcome` first).
 */
export function serverAnswer(s: ScreeningOut): ModelAnswer {
  const outcome = s.outcome ?? 'assessed';
  const oodScore = s.ood_score ?? null;
  const probabilities = LABELS.map((label) => Number(s.probabilities?.[label] ?? 0));
  const answer = answerFromProbabilities(probabilities, { source: 'server', modelVersion: s.model_version, latencyMs: s.server_latency_ms, highRiskMass: 1 });
  if (outcome === 'cannot_assess' || !s.top_label || !s.risk) return { ...answer, confidence: 0, outcome: 'cannot_assess', oodScore };
  // The server's own risk level is the one of record (its mass setting is not known to the app).
  const topLabel = (LABELS as readonly string[]).includes(s.top_label) ? (s.top_label as ModelAnswer['topLabel']) : answer.topLabel;
  return { ...answer, topLabel, risk: s.risk, outcome, oodScore };
}
