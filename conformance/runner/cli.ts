/**
 * sqllogictest runner CLI.
 *
 *   node --import tsx conformance/runner/cli.ts [--url URL] [--report out.md] [--label L]…
 *        [--timeout ms] <files or globs…>
 *
 * Exit code 0 only when every record passed.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { expandGlob } from './glob';
import { markdownReport, summaryTable } from './report';
import { runFiles } from './runner';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string', default: process.env.FRESHET_URL ?? 'postgres://root@127.0.0.1:4566/dev' },
    report: { type: 'string' },
    label: { type: 'string', multiple: true },
    timeout: { type: 'string' },
    'implicit-flush': { type: 'string', default: 'auto' },
    quiet: { type: 'boolean', short: 'q', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help || positionals.length === 0) {
  process.stdout.write(`usage: npm run slt -- [--url postgres://root@127.0.0.1:4566/dev] [--report out.md]
       [--label freshet]… [--timeout 60000] [--implicit-flush auto|on|off] <files/globs…>
`);
  process.exit(values.help ? 0 : 2);
}

const files: string[] = [];
for (const p of positionals) {
  const matched = expandGlob(p);
  if (matched.length === 0) process.stderr.write(`slt: no file matches ${p}\n`);
  files.push(...matched);
}
const flush = values['implicit-flush'];
const summary = await runFiles(files, {
  url: values.url!,
  labels: values.label,
  recordTimeoutMs: values.timeout ? Number(values.timeout) : undefined,
  implicitFlush: flush === 'on' ? true : flush === 'off' ? false : 'auto',
  baseDir: process.cwd(),
  onFile: (r) => {
    if (!values.quiet) process.stdout.write(`${r.failed ? 'FAIL' : 'ok  '} ${r.file}  ${r.passed}/${r.passed + r.failed}${r.error ? `  (${r.error})` : ''}\n`);
  },
});
process.stdout.write(`\n${summaryTable(summary)}\n`);
if (values.report) {
  const out = resolve(values.report);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, markdownReport(summary, 'sqllogictest results'));
  process.stdout.write(`report written to ${out}\n`);
}
process.stdout.write(`${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped\n`);
process.exit(summary.failed === 0 && files.length > 0 ? 0 : 1);
