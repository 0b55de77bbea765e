/**
 * For the end-to-end test's numbers: on /screening?bench=1 the page gets `window.__skinscreenBench`
 * with the app's own preparePhoto, classifier and quality check, so decode + preprocess + inference
 * are timed on exactly the code a person's screening runs (nothing is exposed without the flag).
 */
import { getClassifier, preparePhoto } from '../engine';
import { checkQuality } from '../quality';

export function exposeBenchHook(): void {
  if (typeof window === 'undefined' || !new URLSearchParams(window.location.search).has('bench')) return;
  (window as unknown as { __skinscreenBench?: unknown }).__skinscreenBench = { preparePhoto, getClassifier, checkQuality };
}
