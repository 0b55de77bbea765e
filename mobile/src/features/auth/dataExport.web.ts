/** "Download my data" on the web: fetch the zip with the session's token and hand it to the browser as a download. */
import { authApi } from './api';
import type { ApiFailure } from '@/api/result';

export type ExportOutcome = { kind: 'shared'; filename: string } | { kind: 'saved'; filename: string; uri: string } | ApiFailure;

export function exportFilename(now: Date = new Date()): string {
  return `skinscreen-data-${now.toISOString().slice(0, 10)}.zip`;
}

function saveInBrowser(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export async function downloadMyData(save: (blob: Blob, filename: string) => void = saveInBrowser): Promise<ExportOutcome> {
  const result = await authApi.exportData();
  if (result.kind !== 'ok') return result;
  const filename = exportFilename();
  save(result.data, filename);
  return { kind: 'saved', filename, uri: filename };
}
