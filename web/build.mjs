// build.mjs - bundles the dashboard: src/main.js (and the CSS it imports,
// uPlot's included) into one hashed app-HASH.js and app-HASH.css, and
// writes index.html naming them. Usage: node build.mjs OUT_DIR
// Fails when the files, gzipped, exceed BUDGET bytes (the page must stay
// small: it is compiled into the weir binary and loaded on every visit).
import * as esbuild from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BUDGET = 150 * 1024;
const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (!out) {
	console.error('usage: node build.mjs OUT_DIR');
	process.exit(2);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });

const result = await esbuild.build({
	entryPoints: { app: join(here, 'src/main.js') },
	bundle: true,
	minify: true,
	format: 'esm',
	target: ['es2020'],
	entryNames: '[name]-[hash]',
	outdir: join(out, 'assets'),
	metafile: true,
	legalComments: 'none',
	logLevel: 'warning',
});

const names = Object.keys(result.metafile.outputs).map((p) => basename(p));
const js = names.find((n) => n.endsWith('.js'));
const css = names.find((n) => n.endsWith('.css'));
if (!js || !css) {
	console.error('build.mjs: esbuild wrote no .js or no .css:', names);
	process.exit(1);
}
const html = readFileSync(join(here, 'index.html'), 'utf8')
	.replace('%APP_JS%', '/assets/' + js)
	.replace('%APP_CSS%', '/assets/' + css);
writeFileSync(join(out, 'index.html'), html);

let total = 0;
const sizes = [];
for (const f of ['index.html', ...readdirSync(join(out, 'assets')).map((n) => 'assets/' + n)]) {
	const gz = gzipSync(readFileSync(join(out, f)), { level: 9 }).length;
	total += gz;
	sizes.push(`${f} ${gz}`);
}
console.log(`  web bundle: ${(total / 1024).toFixed(1)} KiB gzipped (budget ${BUDGET / 1024} KiB): ${sizes.join(', ')}`);
if (total > BUDGET) {
	console.error(`build.mjs: the bundle is ${total} bytes gzipped, over the ${BUDGET}-byte budget`);
	process.exit(1);
}
