/**
 * End to end, issue 22: a patient screens a lesion, adds it to a new lesion placed on the body map and
 * shares it; the clinician logs in, sees today's patients by name, marks a started visit done and
 * reviews the shared screening from the worklist; the patient sees the review on the screening and
 * on the lesion's timeline and sets a follow-up reminder. Screenshots go to mobile/e2e-artifacts/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const tid = (id) => `[data-testid="${id}"]`;
// written to the ignored e2e-artifacts/ on every run; e2e/screenshots/ holds reduced copies committed for the docs
export const screenshotDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'e2e-artifacts', 'screenshots');
const CLINICIAN_EMAILS = { 'Dr. Clara Klein': 'clinician@demo.skinscreen.local', 'Dr. Omar Haddad': 'clinician2@demo.skinscreen.local' };
const DEMO_PASSWORD = 'demo-pass-2026';

async function api(base, token, method, path, body) {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, body: await r.json().catch(() => null) };
}

async function login(base, email, password) {
  const r = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password }) });
  if (!r.ok) throw new Error(`API login of ${email}: HTTP ${r.status}`);
  return (await r.json()).access;
}

/** Actions on the visible screen only (screens a stack left stay in the DOM, hidden). */
function actions(page) {
  const loc = (id) => page.locator(tid(id)).filter({ visible: true }).first();
  return {
    loc,
    visible: (id, timeout) => loc(id).waitFor({ state: 'visible', timeout }),
    click: (id) => loc(id).click(),
    fill: (id, value) => loc(id).fill(value),
    shot: async (name) => {
      const viewport = page.viewportSize();
      await page.setViewportSize({ width: viewport.width, height: 1400 });
      await page.waitForTimeout(200);
      await page.screenshot({ path: join(screenshotDir, `${name}.png`) });
      await page.setViewportSize(viewport);
    },
  };
}

/**
 * ctx: { browser, page (the patient's), base, server (startServer's: manage), goldenFile, patient: {email, password, name}, log, setStep, newContext }
 */
export async function lesionSteps(ctx) {
  const { page, base, log, setStep } = ctx;
  mkdirSync(screenshotDir, { recursive: true });
  const p = actions(page);
  const patientToken = await login(base, ctx.patient.email, ctx.patient.password);

  setStep('lesions: the patient screens a lesion (online) and adds it to a new lesion on the body map');
  await page.goto(`${base}/screening`, { waitUntil: 'commit' });
  await page.locator(tid('model-status'), { hasText: /ready on this device/ }).filter({ visible: true }).first().waitFor({ timeout: 180_000 });
  await page.locator(tid('screen-screening-new')).filter({ visible: true }).first().locator(tid('capture-file-input')).setInputFiles(ctx.goldenFile);
  await p.visible('quality-ok', 60_000);
  if ((await p.loc('ask-server').getAttribute('aria-selected')) !== 'true') await p.click('ask-server');
  await p.click('screening-submit');
  await p.visible('result-assign', 120_000);
  await p.click('result-assign');
  await p.visible('screen-lesion-assign');
  await p.shot('40-lesion-assign');
  await p.click('assign-new');
  await p.visible('lesion-name');
  await p.fill('lesion-name', 'Mole on left shoulder blade');
  await p.click('lesion-view-back');
  // A tap a third of the way across and a fifth of the way down the back view.
  await p.loc('lesion-map').click({ position: { x: 60, y: 72 } });
  await p.visible('lesion-map-point');
  await p.fill('lesion-region', 'left shoulder blade');
  await p.shot('41-lesion-new-body-map');
  await p.click('lesion-save');
  await p.visible('timeline-name', 30_000);
  const lesions = await api(base, patientToken, 'GET', '/api/v1/lesions');
  const lesion = lesions.body.items.find((l) => l.name === 'Mole on left shoulder blade');
  if (!lesion) throw new Error('the new lesion is not on the server');
  if (lesion.body_view !== 'back' || Math.abs(lesion.body_x - 60 / 180) > 0.03 || Math.abs(lesion.body_y - 72 / 360) > 0.03) {
    throw new Error(`the lesion is at ${lesion.body_view} (${lesion.body_x}, ${lesion.body_y}), expected back (0.33, 0.2)`);
  }
  const timeline = await api(base, patientToken, 'GET', `/api/v1/lesions/${lesion.id}/timeline`);
  if (timeline.body.screenings.length !== 1) throw new Error(`the lesion has ${timeline.body.screenings.length} screenings, expected 1`);
  const screeningId = timeline.body.screenings[0].id;
  log(`lesion ${lesion.id} placed on the back at (${lesion.body_x}, ${lesion.body_y}) with screening ${screeningId}`);

  setStep('lesions: share the screening with the clinician of my appointment');
  await page.goto(`${base}/screening/share/${screeningId}`, { waitUntil: 'commit' });
  await p.visible('share-list');
  const toggle = page.locator('[data-testid^="share-toggle-"]').filter({ visible: true }).first();
  const clinicianId = Number((await toggle.getAttribute('data-testid')).replace('share-toggle-', ''));
  const shares = await api(base, patientToken, 'GET', `/api/v1/screenings/${screeningId}/shares`);
  if (!shares.body.some((s) => s.clinician_id === clinicianId)) {
    await toggle.click();
    await page.locator(tid(`share-state-${clinicianId}`), { hasText: 'Can see this screening' }).filter({ visible: true }).first().waitFor();
  }
  const clinician = await api(base, patientToken, 'GET', `/api/v1/clinicians/${clinicianId}`);
  const clinicianEmail = CLINICIAN_EMAILS[clinician.body.full_name];
  if (!clinicianEmail) throw new Error(`no demo login known for ${clinician.body.full_name}`);

  setStep("lesions: a visit of the clinician's that started today (fixture: the API only books future slots)");
  const fixture = [
    'from datetime import timedelta',
    'from django.utils import timezone',
    'from accounts.models import User',
    'from appointments.models import Appointment',
    `c = User.objects.get(email="${clinicianEmail}")`,
    `p = User.objects.get(email="${ctx.patient.email}")`,
    'now = timezone.now()',
    'a = Appointment.objects.create(clinician=c, patient=p, start=now - timedelta(minutes=5), end=now + timedelta(minutes=25), time_zone="Europe/Berlin", reason="Follow-up of the shoulder mole")',
    'print(a.pk)',
  ].join('\n');
  const visitId = Number(ctx.server.manage('shell', '-c', fixture).trim().split('\n').pop());

  setStep('clinician: log in, today’s patients by name, mark the started visit done');
  const context = await ctx.newContext();
  const cpage = await context.newPage();
  const c = actions(cpage);
  await cpage.goto(`${base}/login`, { waitUntil: 'commit' });
  await c.visible('login-email');
  await c.fill('login-email', clinicianEmail);
  await c.fill('login-password', DEMO_PASSWORD);
  await c.click('login-submit');
  await c.visible('screen-clinician-home');
  const greeting = await c.loc('home-greeting').innerText();
  if (!/Dr\. (Klein|Haddad)/.test(greeting)) throw new Error(`clinician greeting is "${greeting}"`);
  if (await cpage.locator(tid('home-book')).filter({ visible: true }).count()) throw new Error('the clinician is offered "Book a skin check"');
  const patientName = await c.loc(`visit-${visitId}-patient`).innerText();
  if (patientName.trim() !== ctx.patient.name) throw new Error(`today's visit shows "${patientName}", expected the patient ${ctx.patient.name}`);
  await c.visible('home-unreviewed-high');
  await c.shot('42-clinician-home');
  await c.click(`visit-${visitId}-done`);
  await cpage.locator(tid(`visit-${visitId}-status`), { hasText: 'Done' }).filter({ visible: true }).first().waitFor();
  const clinicianToken = await login(base, clinicianEmail, DEMO_PASSWORD);
  const visit = await api(base, clinicianToken, 'GET', `/api/v1/appointments/${visitId}`);
  if (visit.body.status !== 'done') throw new Error(`the visit is ${visit.body.status} on the server, expected done`);
  log(`clinician ${greeting.trim()}: today's visit with ${patientName.trim()} marked done`);

  setStep('clinician: review the shared screening from the worklist');
  await c.click('home-open-worklist');
  await c.visible('screen-worklist');
  await c.visible(`worklist-${screeningId}`, 30_000);
  await c.shot('43-clinician-worklist');
  await c.click(`worklist-${screeningId}`);
  await c.visible('review-form', 30_000);
  await c.click('review-impression-monitor');
  await c.fill('review-note', 'Looks regular. Photograph it again in 3 months.');
  await c.fill('review-weeks', '12');
  await c.click('review-save');
  await cpage.locator(tid('review-message'), { hasText: 'Review saved' }).filter({ visible: true }).first().waitFor();
  await c.click('review-impression-excise_or_biopsy');
  await c.click('review-save');
  await cpage.locator(tid('review-message'), { hasText: 'amended (version 2)' }).filter({ visible: true }).first().waitFor();
  await cpage.locator('[data-testid$="-revision-1"]').filter({ visible: true }).first().waitFor();
  await c.shot('44-clinician-review');
  await context.close();
  log('clinician reviewed the screening (Monitor), then amended it (Excise or biopsy); history shows both versions');

  setStep('lesions: the patient sees the review on the screening and on the timeline, and sets a follow-up');
  await page.goto(`${base}/screening/detail/${screeningId}`, { waitUntil: 'commit' });
  await page.locator(tid('detail-reviews'), { hasText: 'Excise or biopsy' }).filter({ visible: true }).first().waitFor({ timeout: 30_000 });
  await p.shot('45-screening-detail-review');
  await page.goto(`${base}/screening/lesions/${lesion.id}`, { waitUntil: 'commit' });
  await p.visible('timeline-name', 30_000);
  await page.locator(tid(`timeline-reviews-${screeningId}`), { hasText: 'Excise or biopsy' }).filter({ visible: true }).first().waitFor();
  await p.fill('follow-up-weeks', '6');
  await p.click('follow-up-save');
  await page.locator(tid('follow-up-message'), { hasText: 'We will remind you on' }).filter({ visible: true }).first().waitFor();
  await p.shot('46-lesion-timeline');
  const after = await api(base, patientToken, 'GET', `/api/v1/lesions/${lesion.id}`);
  if (!after.body.follow_up_due_at) throw new Error('the follow-up reminder is not on the server');
  await page.goto(`${base}/screening/lesions`, { waitUntil: 'commit' });
  await p.visible('lesions-view-back');
  await p.click('lesions-view-back');
  await p.visible(`lesions-map-spot-${lesion.id}`);
  await p.shot('47-my-lesions');
  log(`patient sees the review on the screening and the timeline; follow-up due ${after.body.follow_up_due_at}`);
}
