/**
 * A name → value table whose empty name (the unnamed portal or statement) lives in a
 * field instead of the Map. A prepared point lookup binds the unnamed portal and Sync
 * drops it on every query; as one Map entry, that insert/delete pair made V8 grow and
 * shrink the Map's hash table (an allocation each way) per query.
 */
export class NamedSlots<V> {
  private unnamed: V | undefined = undefined;
  private readonly named = new Map<string, V>();

  get size(): number {
    return this.named.size + (this.unnamed === undefined ? 0 : 1);
  }

  get(name: string): V | undefined {
    return name === '' ? this.unnamed : this.named.get(name);
  }

  has(name: string): boolean {
    return name === '' ? this.unnamed !== undefined : this.named.has(name);
  }

  set(name: string, value: V): void {
    if (name === '') this.unnamed = value;
    else this.named.set(name, value);
  }

  delete(name: string): boolean {
    if (name !== '') return this.named.delete(name);
    const had = this.unnamed !== undefined;
    this.unnamed = undefined;
    return had;
  }

  /** The names in use (a copy: callers delete while walking it). */
  names(): string[] {
    const out = this.unnamed === undefined ? [] : [''];
    for (const k of this.named.keys()) out.push(k);
    return out;
  }
}
