/**
 * "Download my data" on phones: the server's zip (data.json + photos/) is streamed straight into a file
 * in the cache (never held in JS memory), then offered through the system share sheet; the cached copy
 * is deleted once the sheet closes, so the health data does not linger on the device.
 */
import { File, Paths } from 'expo-file-system';
import * as Sharing from 'expo-sharing';

import { authApi } from './api';
import { api } from '@/api';
import type { ApiFailure } from '@/api/result';

export type ExportOutcome = { kind: 'shared'; filename: string } | { kind: 'saved'; filename: string; uri: string } | ApiFailure;

export function exportFilename(now: Date = new Date()): string {
  return `skinscreen-data-${now.toISOString().slice(0, 10)}.zip`;
}

/** The HTTP status in expo-file-system's "unable to download" error, if it names one. */
function statusOf(error: unknown): number | null {
  const match = /\b([45]\d\d)\b/.exec(error instanceof Error ? error.message : String(error));
  return match ? Number(match[1]) : null;
}

export async function downloadMyData(): Promise<ExportOutcome> {
  // One cheap authenticated call first: the API client renews an expired access token on it, so the
  // download below (which bypasses the client to stream to disk) carries a valid one.
  const me = await authApi.me();
  if (me.kind !== 'ok') return me;
  const access = (await api.currentTokens())?.access;
  if (!access) return { kind: 'unauthorized', detail: 'Your session has ended. Please sign in again.' };
  const filename = exportFilename();
  const target = new File(Paths.cache, filename);
  let file: File;
  try {
    file = await File.downloadFileAsync(authApi.exportUrl(), target, { headers: { Authorization: `Bearer ${access}`, Accept: 'application/zip' }, idempotent: true });
  } catch (error) {
    const status = statusOf(error);
    if (status === null) return { kind: 'offline' };
    if (status === 401) return { kind: 'unauthorized', detail: 'Your session has ended. Please sign in again.' };
    if (status === 429) return { kind: 'rate_limited', detail: 'You have downloaded your data several times recently. Please try again later.' };
    return { kind: 'server', status, detail: `The download failed (${status}).` };
  }
  if (!(await Sharing.isAvailableAsync())) return { kind: 'saved', filename, uri: file.uri };
  try {
    await Sharing.shareAsync(file.uri, { mimeType: 'application/zip', UTI: 'public.zip-archive', dialogTitle: 'Your data' });
  } finally {
    try {
      file.delete();
    } catch {
      // Already gone (the cache may be cleared by the system at any time).
    }
  }
  return { kind: 'shared', filename };
}
