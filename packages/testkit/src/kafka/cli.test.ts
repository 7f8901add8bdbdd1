import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../freshet';
import { hasCommand } from '../provision';
import { freePort } from '../ports';
import { runKcat } from './kcat';

describe.skipIf(!hasCommand('kcat'))('kafka test broker CLI', () => {
  it('starts on the given port, serves kcat, and stops on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'packages/testkit/src/kafka/cli.ts'), '--port', String(port), '--partitions', '3'], { cwd: repoRoot });
    try {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          if (out.includes(`listening 127.0.0.1:${port}`)) resolve();
        });
        child.once('exit', (code) => reject(new Error(`broker exited with ${code}`)));
      });
      expect((await runKcat(['-b', `127.0.0.1:${port}`, '-P', '-t', 'cli-topic'], 'x\n')).code).toBe(0);
      const meta = await runKcat(['-b', `127.0.0.1:${port}`, '-L', '-t', 'cli-topic']);
      expect(meta.stdout).toContain('topic "cli-topic" with 3 partitions');
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }, 30_000);
});
