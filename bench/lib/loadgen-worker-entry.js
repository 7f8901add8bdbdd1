// Worker-thread entry in plain JS: on Node 20 a worker does not inherit the parent's tsx
// loader hooks, so the worker registers tsx itself before loading the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./loadgen-worker.ts');
