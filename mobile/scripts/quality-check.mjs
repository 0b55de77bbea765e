#!/usr/bin/env node
/**
 * Measure the photo quality check (src/features/screening/quality.ts, the app's own code) on real
 * images: each image is preprocessed by the pipeline's reference (Python, ../.venv) to the model's
 * input size, then checked. Prints the pass rate and the count per issue.
 *
 *   node scripts/quality-check.mjs [--size 176] [--limit 200] <image files or directories>...
 *   node scripts/quality-check.mjs ../tflite_artifacts/<bundle>/golden ../../shared/data/ham10000/images
 *
 * A directory contributes its first `--limit` images in name order (a stable sample).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const mobile = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(mobile, '..');
const require = createRequire(import.meta.url);

function parseArgs(argv) {
  const out = { size: 176, limit: 200, paths: [], verbose: false };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (a === '--size') out.size = Number(argv[++i]);
    else if (a === '--limit') out.limit = Number(argv[++i]);
    else if (a === '--verbose' || a === '-v') out.verbose = true;
    else out.paths.push(a);
  }
  if (!out.paths.length || !(out.size > 0) || !(out.limit > 0)) {
    console.error('usage: node scripts/quality-check.mjs [--size 176] [--limit 200] [-v] <images or directories>...');
    process.exit(2);
  }
  return out;
}

/** quality.ts compiled on the fly with the project's TypeScript (it imports types only). */
function loadQuality() {
  const ts = require('typescript');
  const source = readFileSync(join(mobile, 'src/features/screening/quality.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 } });
  const module = { exports: {} };
  new Function('module', 'exports', 'require', outputText)(module, module.exports, require);
  return module.exports;
}

const PY = `
import sys
try:
    from lesion_contract.preprocess import preprocess_image
except ImportError:
    from model_pipeline.data.preprocess import preprocess_image
size = int(sys.argv[1])
for path in sys.argv[2:]:
    sys.stdout.buffer.write(preprocess_image(path, size).tobytes())
`;

function images(paths, limit) {
  const out = [];
  for (const p of paths) {
    const full = resolve(p);
    if (!existsSync(full)) throw new Error(`${p} does not exist`);
    if (statSync(full).isDirectory()) {
      const files = readdirSync(full).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort().slice(0, limit);
      out.push(...files.map((f) => join(full, f)));
    } else out.push(full);
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
const python = [process.env.PYTHON, join(repo, '.venv/bin/python')].find((p) => p && existsSync(p)) ?? 'python3';
const { checkQuality, QUALITY_THRESHOLDS } = loadQuality();
const files = images(args.paths, args.limit);
const bytesPer = args.size * args.size * 3;
const counts = { too_dark: 0, too_bright: 0, too_blurry: 0, off_centre: 0 };
const sharp = [];
let passed = 0;
for (let start = 0; start < files.length; start += 50) {
  const batch = files.slice(start, start + 50);
  const raw = execFileSync(python, ['-c', PY, String(args.size), ...batch], { cwd: repo, maxBuffer: bytesPer * batch.length + 1024 });
  batch.forEach((file, i) => {
    const tensor = new Uint8Array(raw.buffer, raw.byteOffset + i * bytesPer, bytesPer);
    const r = checkQuality(tensor, args.size);
    sharp.push(r.sharpness);
    if (r.ok) passed += 1;
    for (const issue of r.issues) counts[issue] += 1;
    if (args.verbose || !r.ok) {
      const m = `luma ${r.meanLuma.toFixed(0)} sharp ${r.sharpness.toFixed(1)} contrast ${r.lesionContrast.toFixed(0)} offset ${r.lesionOffset.toFixed(2)}`;
      console.log(`${r.ok ? 'pass' : 'FAIL'} ${file.replace(`${repo}/`, '')}: ${r.issues.join(',') || '-'} (${m})`);
    }
  });
}
sharp.sort((a, b) => a - b);
const pct = (q) => sharp[Math.min(sharp.length - 1, Math.floor(q * sharp.length))]?.toFixed(1);
console.log(`thresholds ${JSON.stringify(QUALITY_THRESHOLDS)}`);
console.log(`sharpness p1 ${pct(0.01)} p5 ${pct(0.05)} p50 ${pct(0.5)}`);
console.log(`QUALITY passed ${passed}/${files.length} (${((100 * passed) / Math.max(1, files.length)).toFixed(1)} %); issues ${JSON.stringify(counts)}`);
