/**
 * The on-device screening engine's public surface: what the screens code against. The engine
 * (preprocessing, classifier, model manager, fallback policy, offline outbox) implements it; the
 * screens (capture, result, history) only use these types and the functions in `engine.ts`.
 * Labels, risk levels and the manifest type come from the generated bundle contract.
 */
import type { Label, Manifest, Outcome, RiskLevel } from '@/contract';

/** A photo as the capture step hands it over: a URI (file:// on phones, blob:/data: on the web). */
export interface Photo {
  uri: string;
  /** The original bytes' MIME type when known (image/jpeg, image/png, ...). */
  mimeType?: string;
  width?: number;
  height?: number;
}

/** The uint8 RGB tensor (H*W*3 bytes, row-major) the model takes, per the manifest's preprocessing spec. */
export interface PreparedImage {
  tensor: Uint8Array;
  size: number;
  /** Milliseconds spent decoding + cropping + resizing. */
  preprocessMs: number;
}

export type QualityIssue = 'too_dark' | 'too_bright' | 'too_blurry' | 'off_centre';

export interface QualityReport {
  ok: boolean;
  issues: QualityIssue[];
  /** Raw measurements, for tests and for the retake guidance's wording. */
  meanLuma: number;
  sharpness: number;
  centreContrast: number;
}

/** One model's answer, on the device or from the server. */
export interface ModelAnswer {
  source: 'device' | 'server';
  modelVersion: string;
  /** Probabilities in the contract's LABELS order. */
  probabilities: number[];
  topLabel: Label;
  confidence: number;
  risk: RiskLevel;
  latencyMs: number;
  /**
   * The bundle's "cannot assess" rule (manifest.ood): `cannot_assess` means the photo is too far from the
   * lesion photos the model knows, and no class verdict may be shown (topLabel, confidence, risk and
   * probabilities are then not an answer). Absent (older bundles, answers saved before the rule): assessed.
   */
  outcome?: Outcome;
  /** The rule's score (null or absent when the bundle has no rule). */
  oodScore?: number | null;
}

export type FallbackReason =
  | 'no_model'
  | 'model_outdated'
  | 'low_confidence'
  | 'high_risk'
  | 'cannot_assess'
  | 'user_request';

export interface FallbackDecision {
  askServer: boolean;
  reasons: FallbackReason[];
}

/** The classifier behind one interface: LiteRT.js on the web, react-native-fast-tflite on phones. */
export interface Classifier {
  readonly modelVersion: string;
  readonly inputSize: number;
  classify(tensor: Uint8Array): Promise<ModelAnswer>;
  dispose(): void;
}

export type ModelState =
  | { state: 'loading' }
  | { state: 'ready'; manifest: Manifest; source: 'bootstrap' | 'downloaded' }
  | { state: 'error'; error: string };

export type OutboxStatus = 'queued' | 'sending' | 'synced' | 'failed';

export interface OutboxItem {
  clientUuid: string;
  capturedAt: string;
  photoUri: string;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  device: ModelAnswer | null;
  /** The server's screening id once synced. */
  screeningId: string | null;
  /** The server's answer (the one of record) once synced. */
  server?: ModelAnswer | null;
}

/** What one "screen this photo" run produced, rendered by the result screen. */
export type ScreeningOutcome =
  | {
      kind: 'done';
      clientUuid: string;
      device: ModelAnswer | null;
      /** The server's answer is the one of record when present. */
      server: ModelAnswer | null;
      screeningId: string | null;
      disagreement: boolean;
      fallback: FallbackDecision;
      recommendedAction: string;
      disclaimer: string;
      /** Why the server's answer is missing when it was asked but refused the photo (shown with the device answer). */
      serverError?: string;
    }
  | { kind: 'queued'; clientUuid: string; device: ModelAnswer | null; fallback: FallbackDecision; disclaimer: string }
  | { kind: 'quality'; report: QualityReport }
  | { kind: 'error'; message: string };
