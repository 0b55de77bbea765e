/**
 * Where downloaded models live, per platform: files under the document directory on phones
 * (modelStore.ts), IndexedDB on the web (modelStore.web.ts), memory in tests (modelStore.memory.ts).
 * Downloads land in a staging area first; `promote` makes a verified version installed and only then
 * does the manager flip the pointer, so a half-written or unverified file is never the active model.
 */

/** Which installed version is active, and the one before it (kept for rollback). */
export type ModelPointer = { active: string; previous: string | null };

/** What was verified when a version was installed: the exact signed manifest text and its signature. */
export type InstalledRecord = {
  version: string;
  signedPayload: string;
  signature: string;
  installedAt: string;
};

export interface ModelStore {
  readPointer(): Promise<ModelPointer | null>;
  /** Replace the pointer in one step (atomic rename / one transaction). */
  writePointer(pointer: ModelPointer): Promise<void>;
  readRecord(version: string): Promise<InstalledRecord | null>;
  /** An installed file's bytes, or null when missing. */
  readFile(version: string, name: string): Promise<Uint8Array | null>;
  /** A `file://` URI of an installed file where the platform has files (phones), else null. */
  fileUri(version: string, name: string): Promise<string | null>;
  /** Bytes already downloaded into staging for this file (0 when none): where a resumed download starts. */
  stagedLength(version: string, name: string): Promise<number>;
  appendStaged(version: string, name: string, bytes: Uint8Array): Promise<void>;
  readStaged(version: string, name: string): Promise<Uint8Array | null>;
  discardStaged(version: string): Promise<void>;
  /** Move the staged files `names` of `version` to installed, with its record. */
  promote(version: string, record: InstalledRecord, names: readonly string[]): Promise<void>;
  remove(version: string): Promise<void>;
  installedVersions(): Promise<string[]>;
}
