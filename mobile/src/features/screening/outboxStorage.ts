/**
 * Phone outbox storage: expo-sqlite (`screening-outbox.db`) for the rows, photos copied as files into
 * the document directory (`screening-outbox/<client_uuid>.<ext>`), so both survive restarts.
 */
import { Directory, File, Paths } from 'expo-file-system';
import { openDatabaseAsync } from 'expo-sqlite';

import { initOutboxStore, type PhotoPart, type PhotoVault, type SqlOutboxStore } from './outboxStore';

const photoDir = () => new Directory(Paths.document, 'screening-outbox');
const extension = (mime: string) => (mime === 'image/png' ? 'png' : mime === 'image/heic' ? 'heic' : 'jpg');

export const filePhotoVault: PhotoVault = {
  async keep(clientUuid, sourceUri, mimeType) {
    const dir = photoDir();
    if (!dir.exists) dir.create({ intermediates: true, idempotent: true });
    const target = new File(dir, `${clientUuid}.${extension(mimeType)}`);
    await new File(sourceUri).copy(target, { overwrite: true });
    return target.uri;
  },
  async part(clientUuid, durableUri, mimeType): Promise<PhotoPart | null> {
    const file = new File(durableUri);
    return file.exists ? { uri: file.uri, name: `${clientUuid}.${extension(mimeType)}`, type: mimeType } : null;
  },
  async discard(_clientUuid, durableUri) {
    const file = new File(durableUri);
    if (file.exists) file.delete();
  },
};

export async function openOutboxStorage(): Promise<{ store: SqlOutboxStore; vault: PhotoVault }> {
  const handle = await openDatabaseAsync('screening-outbox.db');
  const store = await initOutboxStore(handle);
  return { store, vault: filePhotoVault };
}
