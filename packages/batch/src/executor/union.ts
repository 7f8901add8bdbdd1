/** UNION ALL: the inputs one after another (UNION adds a DistinctExecutor on top). */
import { type ChunkStream, type Executor } from '../executor';

export class UnionExecutor implements Executor {
  readonly name = 'BatchUnion';
  constructor(private readonly inputs: readonly Executor[]) {}

  *execute(): ChunkStream {
    for (const input of this.inputs) yield* input.execute();
  }
}
