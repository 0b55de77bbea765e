/** Start the real Django server on 127.0.0.1:<free port> with a throwaway SQLite database and demo data. */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export function freePort() {
  return new Promise((res, rej) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/**
 * `screening` (optional): `{ bundleDir, signingSeed }` imports that model bundle (every sha256 and its
 * golden vectors checked), activates it, and signs served manifests with the given Ed25519 seed
 * (base64), whose public key the web build under test pins.
 */
export async function startServer({ repo, webDir, log, screening }) {
  const serverDir = join(repo, 'server');
  const python = [process.env.PYTHON, join(repo, '.venv/bin/python')].find((p) => p && existsSync(p)) ?? 'python3';
  const work = mkdtempSync(join(tmpdir(), 'skinscreen-e2e-'));
  const port = Number(process.env.E2E_PORT) || (await freePort());
  const env = {
    ...process.env,
    EMBEDDED: '1',
    DEBUG: '0',
    DJANGO_SETTINGS_MODULE: process.env.DJANGO_SETTINGS_MODULE ?? 'config.settings.base',
    DATABASE_URL: `sqlite:///${join(work, 'db.sqlite3')}`,
    VAR_DIR: work,
    MEDIA_ROOT: join(work, 'media'),
    HUEY_IMMEDIATE: '1',
    THROTTLE_LOGIN: '1000/min',
    THROTTLE_REGISTER: '1000/min',
    MOBILE_WEB_DIR: resolve(webDir),
    ALLOWED_HOSTS: '127.0.0.1,localhost',
    EXPO_PUSH_HOST: 'http://127.0.0.1:9',
    ...(screening ? { MODEL_SIGNING_KEY: screening.signingSeed, SCREENING_WARMUP: '1' } : {}),
  };
  const manage = (...args) => execFileSync(python, ['manage.py', ...args], { cwd: serverDir, env, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  manage('migrate', '--noinput', '-v', '0');
  if (screening) {
    const version = JSON.parse(readFileSync(join(screening.bundleDir, 'manifest.json'), 'utf8')).version;
    const started = Date.now();
    manage('import_bundles', '--dir', resolve(screening.bundleDir), '--activate', version);
    log(`server: model bundle ${version} validated, imported and activated in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  const seeded = manage('seed_demo');
  log(`server: migrated and seeded ${work}/db.sqlite3 (${seeded.split('\n').filter(Boolean).length} seed lines)`);
  const child = spawn(python, ['manage.py', 'runserver', `127.0.0.1:${port}`, '--noreload', '--insecure'], { cwd: serverDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000; // the screening model warms up before the first answer on a busy machine
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${output}`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`server did not answer /healthz in 180 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    base,
    output: () => output,
    /** Run a management command against this server's database (e.g. `shell -c` for a fixture the API cannot make). */
    manage,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(work, { recursive: true, force: true });
    },
  };
}
