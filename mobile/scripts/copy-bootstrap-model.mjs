#!/usr/bin/env node
/**
 * Ship a bootstrap model with the app so the first screening works before any download: copy a
 * bundle's manifest.json + int8 model into public/bootstrap-model/ (web) and assets/model/ (phones).
 * Usage: node scripts/copy-bootstrap-model.mjs [BUNDLE_DIR]; default (or $BOOTSTRAP_BUNDLE): the
 * newest bundle under ../tflite_artifacts/ (bundle folders are named by date). The int8 file's size
 * and sha256 are checked against the manifest. The phone copy is always assets/model/model_int8.tflite
 * (bootstrapModel.ts requires that name). Generated, gitignored.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const mobile = join(dirname(fileURLToPath(import.meta.url)), '..');
const artifacts = join(mobile, '../tflite_artifacts');

function newestBundle() {
  const names = existsSync(artifacts)
    ? readdirSync(artifacts)
        .filter((n) => existsSync(join(artifacts, n, 'manifest.json')))
        .sort()
    : [];
  if (names.length === 0) throw new Error(`no bundle with a manifest.json under ${artifacts}`);
  return join(artifacts, names[names.length - 1]);
}

function fail(message) {
  console.error(`copy-bootstrap-model: ${message}`);
  process.exit(1);
}

const arg = process.argv[2] ?? process.env.BOOTSTRAP_BUNDLE;
let bundle;
try {
  bundle = arg ? resolve(arg) : newestBundle();
} catch (error) {
  fail(error.message);
}
const manifestText = readFileSync(join(bundle, 'manifest.json'), 'utf8');
const manifest = JSON.parse(manifestText);
const entry = (manifest.files ?? []).find((f) => f.variant === 'int8');
if (!entry) fail(`${bundle}/manifest.json lists no int8 file`);
const model = readFileSync(join(bundle, entry.name));
if (model.length !== entry.size) fail(`${entry.name} has ${model.length} bytes; the manifest says ${entry.size}`);
const digest = createHash('sha256').update(model).digest('hex');
if (digest !== entry.sha256) fail(`${entry.name} does not match its sha256 in the manifest`);

if (entry.name.includes('/')) fail(`int8 file ${entry.name} must sit at the bundle root`);

const targets = [
  [join(mobile, 'public/bootstrap-model'), entry.name],
  [join(mobile, 'assets/model'), 'model_int8.tflite'],
];
for (const [dir, name] of targets) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(bundle, 'manifest.json'), join(dir, 'manifest.json'));
  copyFileSync(join(bundle, entry.name), join(dir, name));
}
console.log(`copy-bootstrap-model: ${manifest.version} (${entry.name}, ${model.length} bytes) -> public/bootstrap-model/, assets/model/`);
