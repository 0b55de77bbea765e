/**
 * The screening part of the end-to-end test (run by run.mjs after the patient has booked an
 * appointment): on-device screening in headless Chromium against the real server, exact golden
 * outputs, the offline queue and its single sync, the agreement report, share, delete, and the
 * numbers (decode + preprocess + inference, model download, cold first screening).
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { join } from 'node:path';

const tid = (id) => `[data-testid="${id}"]`;

/** The bundle under test: E2E_BUNDLE (a directory), else the newest bundle in tflite_artifacts/ by version name. */
export function activeBundle(repo) {
  const fromEnv = process.env.E2E_BUNDLE;
  const root = join(repo, 'tflite_artifacts');
  const dir = fromEnv
    ? fromEnv
    : readdirSync(root)
        .filter((d) => !d.startsWith('.') && existsSync(join(root, d, 'manifest.json')) && existsSync(join(root, d, 'golden.json')))
        .sort()
        .map((d) => join(root, d))
        .pop();
  if (!dir) throw new Error(`No model bundle with manifest.json and golden.json under ${root}`);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const golden = JSON.parse(readFileSync(join(dir, 'golden.json'), 'utf8'));
  const q = manifest.output?.int8_quantization;
  if (!q || !(q.scale > 0)) throw new Error(`${dir}: manifest has no output.int8_quantization`);
  return { dir, version: manifest.version, manifest, golden, scale: q.scale, zeroPoint: q.zero_point ?? 0 };
}

/**
 * The Ed25519 key the throwaway server signs manifests with and the web build pins. Kept in
 * var/e2e-model-signing.json so rebuilds reuse it (Metro's cache does not key on EXPO_PUBLIC_ values).
 */
export function e2eSigningKey(repo) {
  const path = join(repo, 'var', 'e2e-model-signing.json');
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8'));
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const b64 = (s) => Buffer.from(s, 'base64url').toString('base64');
  const key = { seed: b64(jwk.d), publicKey: b64(jwk.x) };
  mkdirSync(join(repo, 'var'), { recursive: true });
  writeFileSync(path, JSON.stringify(key), { mode: 0o600 });
  return key;
}

/** Test photos drawn with Pillow (the server venv's): a 12-megapixel and a 1-megapixel JPEG of a lesion-like disc on noisy skin, and an under-exposed one. */
export function makePhotos(python, dir) {
  mkdirSync(dir, { recursive: true });
  const script = `
import sys, numpy as np
from PIL import Image, ImageDraw
out = sys.argv[1]
rng = np.random.default_rng(20261204)
def lesion(w, h, gain=1.0):
    skin = np.empty((h, w, 3), np.float32); skin[:] = (214, 170, 150)
    skin += rng.normal(0, 7, (h, w, 3))  # sensor-like noise: a realistic JPEG size and decode cost
    img = Image.fromarray(np.clip(skin * gain, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img); r = min(w, h) // 6
    d.ellipse((w // 2 - r, h // 2 - int(r * 0.8), w // 2 + r, h // 2 + int(r * 0.8)), fill=tuple(int(c * gain) for c in (92, 58, 44)))
    return img
lesion(4000, 3000).save(f"{out}/photo-12mp.jpg", quality=90)
lesion(1152, 864).save(f"{out}/photo-1mp.jpg", quality=90)
lesion(1152, 864, gain=0.1).save(f"{out}/photo-dark.jpg", quality=90)
`;
  execFileSync(python, ['-c', script, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  return { mp12: join(dir, 'photo-12mp.jpg'), mp1: join(dir, 'photo-1mp.jpg'), dark: join(dir, 'photo-dark.jpg') };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function apiLogin(base, email, password) {
  const r = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password }) });
  if (!r.ok) throw new Error(`API login as ${email}: HTTP ${r.status} ${await r.text()}`);
  return (await r.json()).access;
}

async function apiGet(base, token, path) {
  const r = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } });
  return { status: r.status, body: r.status === 204 ? null : await r.json().catch(() => null) };
}

/** Compare on-device probabilities with the bundle's golden int8 output: same uint8 codes, same 6-decimal values. */
export function compareGolden(bundle, probabilities, expected) {
  const code = (p) => Math.round(p / bundle.scale + bundle.zeroPoint);
  const got = probabilities.map(code);
  const want = expected.map(code);
  const rounded = probabilities.map((p) => Math.round(p * 1e6) / 1e6);
  const sameCodes = got.length === want.length && got.every((c, i) => c === want[i]);
  const sameValues = rounded.length === expected.length && rounded.every((p, i) => Math.abs(p - expected[i]) < 5e-7);
  return { ok: sameCodes && sameValues, got, want, rounded };
}

/**
 * ctx: { page, base, bundle, photos, artifacts, log, setStep, metrics, patient: {email, password}, consoleErrors }
 */
export async function screeningSteps(ctx) {
  const { page, base, bundle, photos, log, setStep, metrics } = ctx;
  // The app scrolls inside its own view, so a "full page" shot is one viewport: make it tall enough
  // to show a whole screening screen (disclaimer and actions included), then put it back.
  const shot = async (name) => {
    const viewport = page.viewportSize();
    await page.setViewportSize({ width: viewport.width, height: 1900 });
    await page.waitForTimeout(200);
    await page.screenshot({ path: join(ctx.artifacts, `${name}.png`) });
    await page.setViewportSize(viewport);
  };
  // Screens a stack has left stay in the DOM, hidden: always act on the visible one.
  const loc = (id) => page.locator(tid(id)).filter({ visible: true }).first();
  const fileInput = () => page.locator(tid('screen-screening-new')).filter({ visible: true }).first().locator(tid('capture-file-input'));
  const resultScreen = () => page.locator(tid('screen-screening-result')).filter({ visible: true }).first();
  const rawProbabilities = async () => JSON.parse(await resultScreen().locator(tid('result-device-probabilities')).first().textContent());
  const visible = (id, timeout) => loc(id).waitFor({ state: 'visible', timeout });
  const click = (id) => loc(id).click();
  const goldenFile = (i) => join(bundle.dir, bundle.golden[i].file);

  // What the browser downloads for the model and the runtime, and every sync request.
  const downloads = [];
  const syncRequests = [];
  page.on('response', async (resp) => {
    const url = resp.url();
    if (!/\.tflite(\?|$)|\/models\/[^/]+\/files\/|\/litert\/.*\.wasm/.test(url) || resp.request().method() !== 'GET') return;
    try {
      downloads.push({ url: url.replace(base, ''), status: resp.status(), bytes: (await resp.body()).length });
    } catch {
      // a response the page aborted (navigation): not a download
    }
  });
  page.on('request', (req) => {
    if (req.method() === 'POST' && req.url().endsWith('/api/v1/screenings/sync')) syncRequests.push(Date.now());
  });

  const admin = await apiLogin(base, 'admin@demo.skinscreen.local', 'demo-pass-2026');
  const patient = await apiLogin(base, ctx.patient.email, ctx.patient.password);
  const latest = await fetch(`${base}/api/v1/models/latest`).then((r) => r.json());
  if (latest.version !== bundle.version) throw new Error(`server serves ${latest.version}, the test expected ${bundle.version}`);
  const served = latest.files.find((f) => f.variant === 'int8');
  metrics.modelInt8Bytes = served?.size ?? null;

  setStep('screening: a photo that is too dark is refused with retake advice');
  const t0 = Date.now();
  await click('tab-screening');
  await visible('screen-screening-new');
  await page.locator(tid('model-status'), { hasText: /ready on this device/ }).filter({ visible: true }).first().waitFor({ timeout: 180_000 });
  metrics.modelReadyColdMs = Date.now() - t0;
  const modelStatus = (await loc('model-status').innerText()).trim();
  log(`model: ${modelStatus} (${metrics.modelReadyColdMs} ms from opening the screening tab)`);
  if (!modelStatus.includes(bundle.version)) throw new Error(`the app's model is not ${bundle.version}: "${modelStatus}"`);
  await fileInput().setInputFiles(photos.dark);
  await visible('quality-issues', 60_000);
  await visible('quality-issue-too_dark');
  if (!(await loc('screening-submit').isDisabled())) throw new Error('a too-dark photo can be screened without the override');
  await shot('20-screening-retake');

  setStep('screening: a golden image on the device, online (both answers)');
  const t1 = Date.now();
  await fileInput().setInputFiles(goldenFile(0));
  await visible('quality-ok', 60_000);
  await shot('21-screening-new');
  await click('ask-server');
  await click('screening-submit');
  // A bundle with a cannot-assess rule (manifest.ood) may refuse a golden drawing: golden.json says what each side answers.
  const refused = (variant, i) => !!bundle.manifest.ood && bundle.golden[i].ood_score?.[variant] > bundle.manifest.ood.threshold;
  const serverTopId = refused('h5', 0) ? 'answer-server-cannot-assess' : 'answer-server-top';
  await visible(refused('h5', 0) ? 'result-cannot-assess' : 'result-banner', 120_000);
  metrics.firstScreeningMs = Date.now() - t1;
  metrics.firstScreeningColdMs = Date.now() - t0;
  await visible(refused('int8', 0) ? 'answer-device-cannot-assess' : 'answer-device-top');
  await visible(serverTopId);
  const online = await rawProbabilities();
  const check0 = compareGolden(bundle, online, bundle.golden[0].expected.int8);
  if (!check0.ok) throw new Error(`on-device output for ${bundle.golden[0].file} is ${JSON.stringify(check0.rounded)} (codes ${check0.got}); golden int8 is ${JSON.stringify(bundle.golden[0].expected.int8)} (codes ${check0.want})`);
  const deviceVersion = await loc('answer-device-version').innerText();
  if (!deviceVersion.includes(bundle.version)) throw new Error(`device answer shows "${deviceVersion}"`);
  const serverTop = await loc(serverTopId).innerText();
  const columns = `device: ${(await loc('answer-device').innerText()).replace(/\s+/g, ' ')}; server: ${(await loc('answer-server').innerText()).replace(/\s+/g, ' ')}`;
  const disagree = (await page.locator(tid('answers-disagree')).filter({ visible: true }).count()) > 0;
  await shot('22-screening-result-online');
  log(`online: device output == golden int8 for ${bundle.golden[0].file} (codes ${check0.got.join(',')}); server says ${serverTop}${disagree ? ' (disagreement flagged)' : ''}; ${metrics.firstScreeningMs} ms from choosing the photo, ${metrics.firstScreeningColdMs} ms from a cold screening tab (${columns})`);

  setStep('screening: offline -> result shown and queued');
  // Same page, no reload: the model, LiteRT and the outbox's database stay open as in a person's session.
  await click('result-new');
  await visible('screen-screening-new');
  await page.locator(tid('model-status'), { hasText: /ready on this device/ }).filter({ visible: true }).first().waitFor({ timeout: 120_000 });
  const before = await apiGet(base, admin, `/api/v1/models/${bundle.version}/agreement`);
  if (before.status !== 200) throw new Error(`agreement report: HTTP ${before.status}`);
  await page.context().setOffline(true);
  await visible('offline-banner');
  await fileInput().setInputFiles(goldenFile(1));
  await visible('quality-ok', 60_000);
  // Whatever the fallback policy says, a second opinion is wanted: it must wait in the queue.
  if ((await loc('ask-server').getAttribute('aria-selected')) !== 'true') await click('ask-server');
  await click('screening-submit');
  await visible('result-queued', 60_000);
  const clientUuid = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
  const offline = await rawProbabilities();
  const check1 = compareGolden(bundle, offline, bundle.golden[1].expected.int8);
  if (!check1.ok) throw new Error(`offline on-device output for ${bundle.golden[1].file} != golden int8`);
  await shot('23-screening-result-queued');
  await click('result-goto-queue');
  await visible(`queue-item-${clientUuid}`);
  await shot('24-screening-queue-offline');
  log(`offline: result shown from the device (golden int8 exact) and queued as ${clientUuid}`);

  setStep('screening: back online -> it syncs once and the agreement report counts it');
  const syncsBefore = syncRequests.length;
  await page.context().setOffline(false);
  for (let i = ctx.consoleErrors.length - 1; i >= 0; i -= 1) if (/ERR_INTERNET_DISCONNECTED|Failed to fetch/.test(ctx.consoleErrors[i])) ctx.consoleErrors.splice(i, 1);
  const synced = page.locator(tid(`queue-state-${clientUuid}`), { hasText: 'Synced' }).filter({ visible: true }).first();
  try {
    await synced.waitFor({ timeout: 30_000 });
  } catch {
    log('not synced 30 s after reconnecting: pressing "Try again now"');
    await click('queue-retry');
    await synced.waitFor({ timeout: 30_000 });
  }
  await shot('25-screening-queue-synced');
  const mine = await apiGet(base, patient, '/api/v1/screenings?page_size=100');
  const copies = mine.body.items.filter((s) => s.client_uuid === clientUuid);
  if (copies.length !== 1) throw new Error(`the server holds ${copies.length} screenings with client_uuid ${clientUuid}, expected exactly 1`);
  if (copies[0].source !== 'sync') throw new Error(`synced screening has source ${copies[0].source}`);
  if (!copies[0].device) throw new Error('the synced screening carries no device result');
  const after = await apiGet(base, admin, `/api/v1/models/${bundle.version}/agreement`);
  if (after.body.n_with_both !== before.body.n_with_both + 1) {
    throw new Error(`agreement report counted ${after.body.n_with_both - before.body.n_with_both} new device+server pairs, expected 1`);
  }
  metrics.syncRequests = syncRequests.length - syncsBefore;
  log(`synced once (${metrics.syncRequests} sync request(s) after reconnecting; 1 screening with that client_uuid); agreement report ${before.body.n_with_both} -> ${after.body.n_with_both} pairs, top-1 agreement ${after.body.top1_agreement}`);

  setStep('screening: detail, share with my clinician, history, delete');
  const screeningId = copies[0].id;
  await click(`queue-open-${clientUuid}`);
  await visible('detail-banner');
  await visible('detail-photo', 30_000);
  await shot('26-screening-detail');
  await click('detail-share');
  await visible('share-list');
  const toggle = page.locator('[data-testid^="share-toggle-"]').filter({ visible: true }).first();
  const clinicianId = Number((await toggle.getAttribute('data-testid')).replace('share-toggle-', ''));
  await toggle.click();
  await page.locator(tid('share-message'), { hasText: 'Shared with' }).filter({ visible: true }).first().waitFor();
  await page.locator(tid(`share-state-${clinicianId}`), { hasText: 'Can see this screening' }).filter({ visible: true }).first().waitFor();
  const shares = await apiGet(base, patient, `/api/v1/screenings/${screeningId}/shares`);
  if (!shares.body.some((s) => s.clinician_id === clinicianId)) throw new Error('the share did not reach the server');
  await shot('27-screening-share');
  await page.goto(`${base}/screening/history`, { waitUntil: 'commit' });
  await visible('history-list');
  await visible(`history-${screeningId}`);
  await shot('28-screening-history');
  await click('history-source-sync');
  await visible(`history-${screeningId}`);
  await click(`history-${screeningId}`);
  await visible('detail-delete');
  await click('detail-delete');
  await visible('detail-delete-confirm');
  await shot('29-screening-delete-confirm');
  await click('detail-delete-yes');
  await visible('screen-screening-history');
  const gone = await apiGet(base, patient, `/api/v1/screenings/${screeningId}`);
  if (gone.status !== 404) throw new Error(`deleted screening answers HTTP ${gone.status}`);
  await shot('30-screening-history-after-delete');

  setStep('screening: every golden image, browser decode -> tensor sha256 and int8 output exact (the app’s own code)');
  await page.goto(`${base}/screening?bench=1`, { waitUntil: 'commit' });
  await page.waitForFunction(() => Boolean(window.__skinscreenBench), null, { timeout: 60_000 });
  const goldens = bundle.golden.map((g, i) => ({ name: g.file, b64: readFileSync(goldenFile(i)).toString('base64'), mime: g.file.endsWith('.png') ? 'image/png' : 'image/jpeg' }));
  const perGolden = await page.evaluate(async (items) => {
    const bench = window.__skinscreenBench;
    const classifier = await bench.getClassifier();
    const out = [];
    for (const item of items) {
      const bytes = Uint8Array.from(atob(item.b64), (c) => c.charCodeAt(0));
      const uri = URL.createObjectURL(new Blob([bytes], { type: item.mime }));
      const prepared = await bench.preparePhoto({ uri, mimeType: item.mime }, classifier.inputSize);
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', prepared.tensor));
      const answer = await classifier.classify(prepared.tensor);
      URL.revokeObjectURL(uri);
      out.push({ name: item.name, sha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(''), probabilities: answer.probabilities, version: classifier.modelVersion });
    }
    return out;
  }, goldens);
  perGolden.forEach((r, i) => {
    const g = bundle.golden[i];
    if (r.sha256 !== g.tensor_sha256) throw new Error(`${g.file}: browser tensor sha256 ${r.sha256} != golden ${g.tensor_sha256}`);
    const c = compareGolden(bundle, r.probabilities, g.expected.int8);
    if (!c.ok) throw new Error(`${g.file}: on-device ${JSON.stringify(c.rounded)} != golden int8 ${JSON.stringify(g.expected.int8)}`);
  });
  log(`all ${perGolden.length} golden images: browser-decoded tensors bit-identical (sha256) and int8 outputs exact`);

  setStep('screening: numbers, decode + preprocess + inference per photo (median of 20)');
  const runs = Number(process.env.E2E_BENCH_RUNS ?? 20);
  for (const [key, file] of [['mp12', photos.mp12], ['mp1', photos.mp1]]) {
    const b64 = readFileSync(file).toString('base64');
    const times = await page.evaluate(
      async ({ b64, runs }) => {
        const bench = window.__skinscreenBench;
        const classifier = await bench.getClassifier();
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const uri = URL.createObjectURL(new Blob([bytes], { type: 'image/jpeg' }));
        const out = [];
        for (let i = 0; i < runs; i += 1) {
          const started = performance.now();
          const prepared = await bench.preparePhoto({ uri, mimeType: 'image/jpeg' }, classifier.inputSize);
          const answer = await classifier.classify(prepared.tensor);
          out.push({ total: performance.now() - started, prepare: prepared.preprocessMs, inference: answer.latencyMs });
        }
        URL.revokeObjectURL(uri);
        return out;
      },
      { b64, runs },
    );
    metrics[`${key}TotalMs`] = Math.round(median(times.map((t) => t.total)));
    metrics[`${key}PrepareMs`] = Math.round(median(times.map((t) => t.prepare)));
    metrics[`${key}InferenceMs`] = Math.round(median(times.map((t) => t.inference)) * 10) / 10;
    metrics[`${key}JpegBytes`] = readFileSync(file).length;
    log(`${key === 'mp12' ? '12-megapixel (4000x3000)' : '1-megapixel (1152x864)'} JPEG: ${metrics[`${key}TotalMs`]} ms median of ${runs} (decode + crop/resize ${metrics[`${key}PrepareMs`]} ms, inference ${metrics[`${key}InferenceMs`]} ms)`);
  }

  // LiteRT's WASM runtime prints its INFO/WARNING start-up log on stderr, which the browser shows as console errors.
  for (let i = ctx.consoleErrors.length - 1; i >= 0; i -= 1) if (/^(INFO|WARNING): /.test(ctx.consoleErrors[i])) ctx.consoleErrors.splice(i, 1);
  // Per page load: the first fetch of each file (every reload of the web app fetches them again, counted apart).
  const once = (re) => {
    const seen = new Map();
    for (const d of downloads) if (re.test(d.url) && !seen.has(d.url)) seen.set(d.url, d.bytes);
    return { bytes: [...seen.values()].reduce((n, b) => n + b, 0), files: [...seen.keys()], fetches: downloads.filter((d) => re.test(d.url)).length };
  };
  const modelDl = once(/\.tflite|\/files\//);
  const wasmDl = once(/\.wasm/);
  metrics.modelDownloadBytes = modelDl.bytes;
  metrics.wasmDownloadBytes = wasmDl.bytes;
  metrics.downloads = downloads;
  log(
    `downloads per page load: model ${(modelDl.bytes / 1048576).toFixed(2)} MB (${modelDl.files.join(', ')}; fetched ${modelDl.fetches}x over the test's page loads), LiteRT WASM ${(wasmDl.bytes / 1048576).toFixed(2)} MB (${wasmDl.files.join(', ')}; fetched ${wasmDl.fetches}x)`,
  );
}
