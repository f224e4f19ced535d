// node run.mjs SITE.json [SCENARIO...]: runs the named scenarios (all when none is named).
import { readFile } from 'node:fs/promises';
import { run } from './harness.mjs';
import { scenarios } from './dashboard.mjs';

const [sitePath, ...names] = process.argv.slice(2);
if (!sitePath) {
  console.error('usage: node run.mjs SITE.json [SCENARIO...]');
  process.exit(2);
}
const site = JSON.parse(await readFile(sitePath, 'utf8'));
const failed = await run(site, scenarios, names.length ? names : Object.keys(scenarios));
process.exit(failed ? 1 : 0);
