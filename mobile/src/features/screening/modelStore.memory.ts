/** In-memory ModelStore: the tests' storage, and the web's last resort when IndexedDB is unavailable. */
import type { InstalledRecord, ModelPointer, ModelStore } from './modelStore.types';

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export class MemoryModelStore implements ModelStore {
  pointer: ModelPointer | null = null;
  readonly records = new Map<string, InstalledRecord>();
  readonly files = new Map<string, Uint8Array>();
  readonly staged = new Map<string, Uint8Array>();

  async readPointer() {
    return this.pointer ? { ...this.pointer } : null;
  }
  async writePointer(pointer: ModelPointer) {
    this.pointer = { ...pointer };
  }
  async readRecord(version: string) {
    return this.records.get(version) ?? null;
  }
  async readFile(version: string, name: string) {
    const bytes = this.files.get(`${version}/${name}`);
    return bytes ? bytes.slice() : null;
  }
  async fileUri() {
    return null;
  }
  async stagedLength(version: string, name: string) {
    return this.staged.get(`${version}/${name}`)?.length ?? 0;
  }
  async appendStaged(version: string, name: string, bytes: Uint8Array) {
    const key = `${version}/${name}`;
    this.staged.set(key, concat(this.staged.get(key) ?? new Uint8Array(0), bytes));
  }
  async readStaged(version: string, name: string) {
    const bytes = this.staged.get(`${version}/${name}`);
    return bytes ? bytes.slice() : null;
  }
  async discardStaged(version: string) {
    for (const key of [...this.staged.keys()]) if (key.startsWith(`${version}/`)) this.staged.delete(key);
  }
  async promote(version: string, record: InstalledRecord, names: readonly string[]) {
    for (const name of names) {
      const bytes = this.staged.get(`${version}/${name}`);
      if (!bytes) throw new Error(`nothing staged for ${version}/${name}`);
      this.files.set(`${version}/${name}`, bytes);
    }
    this.records.set(version, record);
    await this.discardStaged(version);
  }
  async remove(version: string) {
    this.records.delete(version);
    for (const key of [...this.files.keys()]) if (key.startsWith(`${version}/`)) this.files.delete(key);
    await this.discardStaged(version);
  }
  async installedVersions() {
    return [...this.records.keys()];
  }
}
