#!/usr/bin/env node
/**
 * Copy LiteRT.js's WASM runtime into public/litert/ so our own server serves it (no CDN); Expo's
 * export copies public/ into dist/. Run before every web export (npm run build:web does). Only the
 * single-threaded builds are copied: the app calls loadLiteRt without threads or JSPI, and the
 * threaded build gave nothing on 2 cores (../shared/ON_DEVICE.md). Generated, gitignored.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const mobile = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(mobile, 'node_modules/@litertjs/core/wasm');
const target = join(mobile, 'public/litert');
const WANTED = /^litert_wasm_(compat_)?internal\.(js|wasm)$/;

if (!existsSync(source)) {
  console.error(`copy-litert-wasm: ${source} is missing; run npm ci first.`);
  process.exit(1);
}
rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
const files = readdirSync(source).filter((f) => WANTED.test(f));
if (files.length !== 4) {
  console.error(`copy-litert-wasm: expected 4 files in ${source}, found ${files.join(', ')}`);
  process.exit(1);
}
for (const f of files) copyFileSync(join(source, f), join(target, f));
console.log(`copy-litert-wasm: ${files.length} files -> public/litert/`);
