// Worker-thread entry in plain JS (as lib/loadgen-worker-entry.js): a worker does not inherit
// the parent's tsx loader hooks on Node 20, so it registers tsx before loading the TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./connectors-background.ts');
