// Where the bench finds the repository and keeps its own files. This file is
// dist/bench/lib/paths.js once compiled.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BENCH = path.join(REPO, 'bench');
export const ANSIBLE_DIR = path.join(BENCH, 'ansible');
export const RESULTS_DIR = path.join(BENCH, 'results');
export const SCALE_DIR = path.join(BENCH, 'scale');
