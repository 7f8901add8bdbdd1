/**
 * Join ordering. A tree of inner joins (comma-separated FROM items become cross joins
 * whose WHERE equalities pushdown moved into join conditions) is flattened into its
 * inputs and conjuncts and rebuilt left-deep so that every join, when possible, has a
 * condition connecting the new input to those already joined: no cross product unless
 * the query asks for one. Inputs keep their FROM order where the conditions allow (plans
 * stay predictable without statistics); each conjunct is attached to the first join
 * where all the inputs it reads are present. The new input of each join is its right
 * (hash build) side. A projection restores the original column order on top.
 */
import { type Expr, andAll, col, collectColumns, conjuncts, remapColumns } from '../../planner/expr';
import { type Join, type PlanNode, inputsOf, withInputs } from '../../planner/plan';
import { isMovable, shiftColumns } from './predicates';

export function orderJoins(plan: PlanNode): PlanNode {
  if (plan.kind === 'join' && plan.joinType === 'inner') return reorderCluster(plan);
  const inputs = inputsOf(plan);
  const mapped = inputs.map(orderJoins);
  return mapped.some((m, i) => m !== inputs[i]) ? withInputs(plan, mapped) : plan;
}

interface Leaf {
  plan: PlanNode;
  /** First column of this input in the cluster's original row. */
  offset: number;
  width: number;
}

interface Conjunct {
  /** Over the cluster's original row. */
  expr: Expr;
  /** Leaves it reads. */
  leaves: Set<number>;
  /** `a = b` with each side reading different leaves: usable as a hash key. */
  equi: boolean;
}

/** A join whose condition cannot be re-addressed is not flattened (it is a leaf). */
function isFlattenable(p: PlanNode): boolean {
  return p.kind === 'join' && p.joinType === 'inner' && conjuncts(p.condition).every(isMovable);
}

function collect(p: PlanNode, offset: number, leaves: Leaf[], exprs: Expr[]): void {
  if (p.kind === 'join' && isFlattenable(p)) {
    collect(p.left, offset, leaves, exprs);
    collect(p.right, offset + p.left.schema.length, leaves, exprs);
    for (const c of conjuncts(p.condition)) exprs.push(shiftColumns(c, offset));
    return;
  }
  leaves.push({ plan: orderJoins(p), offset, width: p.schema.length });
}

function reorderCluster(root: Join): PlanNode {
  if (!isFlattenable(root)) {
    return { ...root, left: orderJoins(root.left), right: orderJoins(root.right) };
  }
  const leaves: Leaf[] = [];
  const exprs: Expr[] = [];
  collect(root, 0, leaves, exprs);
  const width = root.schema.length;
  const leafOfColumn = new Array<number>(width);
  leaves.forEach((l, i) => leafOfColumn.fill(i, l.offset, l.offset + l.width));
  const leavesOf = (e: Expr) => new Set([...collectColumns(e)].map((c) => leafOfColumn[c]));
  const conds: Conjunct[] = exprs.map((expr) => ({ expr, leaves: leavesOf(expr), equi: isEquiJoin(expr, leavesOf) }));

  const order = chooseOrder(leaves.length, conds);

  // Build left-deep, tracking where each original column now sits.
  const position = new Array<number>(width);
  const placed = new Set<number>();
  const used = new Set<Conjunct>();
  let plan: PlanNode | null = null;
  let planWidth = 0;
  for (const li of order) {
    const leaf = leaves[li];
    for (let k = 0; k < leaf.width; k++) position[leaf.offset + k] = planWidth + k;
    placed.add(li);
    if (plan === null) {
      plan = leaf.plan;
      planWidth = leaf.width;
      continue;
    }
    const here = conds.filter((c) => !used.has(c) && [...c.leaves].every((l) => placed.has(l)));
    for (const c of here) used.add(c);
    const condition = andAll(here.map((c) => remapColumns(c.expr, (i) => position[i])));
    plan = { kind: 'join', joinType: 'inner', left: plan, right: leaf.plan, condition, schema: [...plan.schema, ...leaf.plan.schema] };
    planWidth += leaf.width;
  }
  const identity = position.every((p, i) => p === i);
  if (identity) return plan!;
  return { kind: 'project', input: plan!, exprs: root.schema.map((f, i) => col(position[i], f.type)), schema: root.schema };
}

function isEquiJoin(e: Expr, leavesOf: (e: Expr) => Set<number>): boolean {
  if (e.kind !== 'call' || e.fn.name !== 'equal' || e.args.length !== 2) return false;
  const a = leavesOf(e.args[0]);
  const b = leavesOf(e.args[1]);
  if (a.size === 0 || b.size === 0) return false;
  for (const l of a) if (b.has(l)) return false;
  return true;
}

/**
 * Greedy: start with the first input; then repeatedly take the first input (in FROM order)
 * joined to the current set by an equality, else by any condition, else the first left
 * (a genuine cross product).
 */
export function chooseOrder(n: number, conds: readonly Conjunct[]): number[] {
  const order = [0];
  const inSet = new Set([0]);
  const connects = (j: number, c: Conjunct) => c.leaves.has(j) && [...c.leaves].every((l) => l === j || inSet.has(l)) && c.leaves.size > 1;
  while (order.length < n) {
    let pick = -1;
    let pickRank = 3;
    for (let j = 0; j < n; j++) {
      if (inSet.has(j)) continue;
      let rank = 2;
      for (const c of conds) {
        if (!connects(j, c)) continue;
        rank = Math.min(rank, c.equi ? 0 : 1);
      }
      if (rank < pickRank) {
        pick = j;
        pickRank = rank;
      }
    }
    order.push(pick);
    inSet.add(pick);
  }
  return order;
}
