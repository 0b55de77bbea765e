/**
 * Phone ModelStore: files under the app's document directory (expo-file-system).
 *   models/pointer.json              {active, previous}, replaced by writing a temp file and moving it over
 *   models/<version>/record.json     the verified signed manifest + signature (written last: present = installed)
 *   models/<version>/<file>          installed model files
 *   models/.staging/<version>/<file> downloads in progress (appended chunk by chunk, resumable)
 */
import { Directory, File, Paths } from 'expo-file-system';

import type { InstalledRecord, ModelPointer, ModelStore } from './modelStore.types';

const root = () => new Directory(Paths.document, 'models');
const safe = (part: string) => encodeURIComponent(part);
const versionDir = (version: string) => new Directory(root(), safe(version));
const stagingDir = (version: string) => new Directory(root(), '.staging', safe(version));
const fileIn = (dir: Directory, name: string) => new File(dir, safe(name));

function ensure(dir: Directory) {
  if (!dir.exists) dir.create({ intermediates: true, idempotent: true });
}

async function readJson<T>(file: File): Promise<T | null> {
  if (!file.exists) return null;
  try {
    return JSON.parse(await file.text()) as T;
  } catch {
    return null;
  }
}

export function createModelStore(): ModelStore {
  return {
    async readPointer() {
      return readJson<ModelPointer>(new File(root(), 'pointer.json'));
    },
    async writePointer(pointer) {
      ensure(root());
      const tmp = new File(root(), 'pointer.json.tmp');
      tmp.write(JSON.stringify(pointer));
      await tmp.move(new File(root(), 'pointer.json'), { overwrite: true });
    },
    async readRecord(version) {
      return readJson<InstalledRecord>(new File(versionDir(version), 'record.json'));
    },
    async readFile(version, name) {
      const file = fileIn(versionDir(version), name);
      return file.exists ? file.bytes() : null;
    },
    async fileUri(version, name) {
      const file = fileIn(versionDir(version), name);
      return file.exists ? file.uri : null;
    },
    async stagedLength(version, name) {
      const file = fileIn(stagingDir(version), name);
      return file.exists ? file.size : 0;
    },
    async appendStaged(version, name, bytes) {
      const dir = stagingDir(version);
      ensure(dir);
      const file = fileIn(dir, name);
      if (!file.exists) file.create();
      file.write(bytes, { append: true });
    },
    async readStaged(version, name) {
      const file = fileIn(stagingDir(version), name);
      return file.exists ? file.bytes() : null;
    },
    async discardStaged(version) {
      const dir = stagingDir(version);
      if (dir.exists) dir.delete();
    },
    async promote(version, record, names) {
      const dir = versionDir(version);
      ensure(dir);
      for (const name of names) await fileIn(stagingDir(version), name).move(fileIn(dir, name), { overwrite: true });
      const tmp = new File(dir, 'record.json.tmp');
      tmp.write(JSON.stringify(record));
      await tmp.move(new File(dir, 'record.json'), { overwrite: true });
      const staging = stagingDir(version);
      if (staging.exists) staging.delete();
    },
    async remove(version) {
      const dir = versionDir(version);
      if (dir.exists) dir.delete();
    },
    async installedVersions() {
      const dir = root();
      if (!dir.exists) return [];
      return dir
        .list()
        .filter((entry): entry is Directory => entry instanceof Directory && !entry.name.startsWith('.'))
        .filter((d) => new File(d, 'record.json').exists)
        .map((d) => decodeURIComponent(d.name));
    },
  };
}
