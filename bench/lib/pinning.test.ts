import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pinTree, splitCpus } from './pinning';

const allowed = (pid: number) => /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];

describe('CPU pinning', () => {
  it('splits the CPUs: servers the lower half, the client the rest', () => {
    expect(splitCpus(2)).toEqual({ server: '0', client: '1' });
    expect(splitCpus(8)).toEqual({ server: '0-3', client: '4-7' });
    expect(splitCpus(3)).toEqual({ server: '0', client: '1-2' });
    expect(() => splitCpus(1)).toThrow(/at least 2 CPUs/);
  });

  it('pins a process and its children', async () => {
    // A shell with a child: the tree a postmaster and its backends form.
    const sh = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore' });
    let child: number | undefined;
    try {
      for (let i = 0; i < 100 && child === undefined; i++) {
        const c = readFileSync(`/proc/${sh.pid}/task/${sh.pid}/children`, 'utf8').trim();
        if (c) child = Number(c.split(' ')[0]);
        else await new Promise((r) => setTimeout(r, 20));
      }
      expect(child).toBeDefined();
      pinTree('0', sh.pid!);
      expect(allowed(sh.pid!)).toBe('0');
      expect(allowed(child!)).toBe('0');
    } finally {
      if (child !== undefined) process.kill(child, 'SIGKILL');
      sh.kill('SIGKILL');
    }
  });
});
