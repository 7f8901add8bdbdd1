/**
 * An executor built when it runs rather than when the plan is lowered: for operators whose
 * parameters are known only then, like a LIMIT given by a subquery (computed by the init
 * plans that run before the statement). Built anew on every execution.
 */
import type { ChunkStream, Executor } from '../executor';

export class DeferredExecutor implements Executor {
  readonly name = 'BatchDeferred';
  constructor(private readonly make: () => Executor) {}

  *execute(): ChunkStream {
    yield* this.make().execute();
  }
}
