/** "Download my data" on the web: the zip is fetched with the session's token and handed to the browser as a download. */
import { downloadMyData as downloadOnWeb } from './dataExport.web';
import { api } from '@/api';
import { fakeServer, signedIn } from '@/test/utils';

beforeEach(async () => {
  await signedIn();
});

describe('Download my data on the web', () => {
  it('fetches the zip with the session token and hands it to the browser under a dated name', async () => {
    const zip = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]);
    const seen: Record<string, string>[] = [];
    global.fetch = jest.fn(async (_input: RequestInfo | URL, init?: RequestInit) => {
      seen.push((init?.headers ?? {}) as Record<string, string>);
      return new Response(zip, { status: 200, headers: { 'Content-Type': 'application/zip' } });
    }) as typeof fetch;
    const saved: { blob: Blob; filename: string }[] = [];

    const outcome = await downloadOnWeb((blob, filename) => saved.push({ blob, filename }));

    expect(outcome).toMatchObject({ kind: 'saved' });
    expect(seen[0]!.Authorization).toBe(`Bearer ${(await api.currentTokens())!.access}`);
    expect(saved[0]!.filename).toMatch(/^skinscreen-data-\d{4}-\d{2}-\d{2}\.zip$/);
    expect(new Uint8Array(await saved[0]!.blob.arrayBuffer())).toEqual(zip);
  });

  it('passes the server refusal on', async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me/export', { status: 429, body: { detail: 'You can download your data 3 times per hour.', code: 'export_throttled' } });
    await expect(downloadOnWeb(() => undefined)).resolves.toMatchObject({ kind: 'rate_limited', detail: 'You can download your data 3 times per hour.' });
  });
});
