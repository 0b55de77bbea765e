/**
 * "Download my data": on phones the zip is streamed to a cache file with the session's token, shared,
 * then mockDeleted; an expired access token is renewed first; a 429 says so. On the web the zip is fetched
 * with the token and handed to the browser as a download.
 */
import { fireEvent, screen } from '@testing-library/react-native';
import * as Sharing from 'expo-sharing';

import { downloadMyData } from './dataExport';
import { ProfileScreen } from './screens/ProfileScreen';
import { api } from '@/api';
import { fakeServer, renderApp, signedIn, tokensFor, user } from '@/test/utils';

type Download = { url: string; target: string; headers: Record<string, string> };
const mockDownloads: Download[] = [];
const mockDeleted: string[] = [];
let mockDownloadFails: Error | null = null;

jest.mock('expo-file-system', () => {
  class File {
    uri: string;
    constructor(dir: { uri: string }, name: string) {
      this.uri = `${dir.uri}${name}`;
    }
    delete() {
      mockDeleted.push(this.uri);
    }
    static downloadFileAsync = jest.fn(async (url: string, target: File, options: { headers: Record<string, string> }) => {
      if (mockDownloadFails) throw mockDownloadFails;
      mockDownloads.push({ url, target: target.uri, headers: options.headers });
      return target;
    });
  }
  return { Paths: { cache: { uri: 'file:///cache/' } }, File };
});

jest.mock('expo-sharing', () => ({ isAvailableAsync: jest.fn(async () => true), shareAsync: jest.fn(async () => undefined) }));

beforeEach(async () => {
  mockDownloads.length = 0;
  mockDeleted.length = 0;
  mockDownloadFails = null;
  await signedIn();
});

describe('Download my data on a phone', () => {
  it('streams the zip to a cache file with the session token, opens the share sheet, then deletes the copy', async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me', { status: 200, body: user });
    renderApp(<ProfileScreen />);

    fireEvent.press(await screen.findByTestId('profile-export'));

    expect(await screen.findByTestId('profile-export-message')).toHaveTextContent(/Your data was downloaded \(skinscreen-data-\d{4}-\d{2}-\d{2}\.zip\)/);
    expect(mockDownloads).toHaveLength(1);
    expect(mockDownloads[0]!.url).toMatch(/\/api\/v1\/auth\/me\/export$/);
    expect(mockDownloads[0]!.headers.Authorization).toBe(`Bearer ${(await api.currentTokens())!.access}`);
    expect(Sharing.shareAsync).toHaveBeenCalledWith(mockDownloads[0]!.target, expect.objectContaining({ mimeType: 'application/zip' }));
    expect(mockDeleted).toEqual([mockDownloads[0]!.target]);
  });

  it('renews an expired access token before the download', async () => {
    const fresh = tokensFor(user.id);
    fresh.access = `${fresh.access}-renewed`;
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me', ({ headers }) => (headers.Authorization === `Bearer ${fresh.access}` ? { status: 200, body: user } : { status: 401, body: { detail: 'expired', code: 'token_not_valid' } }));
    server.on('POST', '/api/v1/auth/refresh', { status: 200, body: fresh });

    const outcome = await downloadMyData();

    expect(outcome.kind).toBe('shared');
    expect(mockDownloads[0]!.headers.Authorization).toBe(`Bearer ${fresh.access}`);
  });

  it('says so when the server limits exports (429) and shares nothing', async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me', { status: 200, body: user });
    mockDownloadFails = new Error('UnableToDownload: unable to download the file, status code 429');
    renderApp(<ProfileScreen />);

    fireEvent.press(await screen.findByTestId('profile-export'));

    expect(await screen.findByTestId('profile-export-message')).toHaveTextContent('You have downloaded your data several times recently. Please try again later.');
    expect(Sharing.shareAsync).not.toHaveBeenCalled();
  });
});
