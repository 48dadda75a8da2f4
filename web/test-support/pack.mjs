// pack.mjs — the package as a user gets it, for test/package.test.mjs and e2e/bundle.test.mjs:
// `npm pack` of (a copy of) web/ (prepack copies the built modules into dist/, postpack removes them) into
// a temporary directory, and the tarball installed offline (it has no dependencies) into an
// empty project there that also holds models/stories260K.gguf.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_WEB, MODEL } from './helpers.mjs';

export const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NPM_FLAGS = ['--no-audit', '--no-fund', '--loglevel=error'];
const npm = (args, cwd, env = {}) => execFileSync('npm', [...args, ...NPM_FLAGS],
  { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });

/** → { tmp, project, packed (npm pack --json's entry), installed(...p), cleanup() } */
export function packAndInstall() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-pack-'));
  // packed from a copy of web/, so two suites packing at once do not share (and remove) dist/
  const stage = path.join(tmp, 'web');
  fs.cpSync(WEB, stage, { recursive: true, filter: (f) => !/[\\/](node_modules|dist)$/.test(f) });
  const out = npm(['pack', '--json', '--pack-destination', tmp], stage, { MW_BUILD_WEB: BUILD_WEB });
  const packed = JSON.parse(out.slice(out.indexOf('[')))[0];
  const project = path.join(tmp, 'project');
  fs.mkdirSync(path.join(project, 'models'), { recursive: true });
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'empty', version: '1.0.0', type: 'module', private: true }));
  fs.copyFileSync(MODEL, path.join(project, 'models', 'stories260K.gguf'));
  npm(['install', '--offline', path.join(tmp, packed.filename)], project);
  return {
    tmp, project, packed,
    installed: (...p) => path.join(project, 'node_modules', 'mistral-wasm', ...p),
    cleanup: () => fs.rmSync(tmp, { recursive: true, force: true }),
  };
}
