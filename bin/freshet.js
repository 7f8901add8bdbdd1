#!/usr/bin/env node
// Entry point: registers the TypeScript loader, then runs the CLI. Kept in plain JS so
// `node bin/freshet.js` and `npx freshet` work on a fresh clone without a build step.
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
