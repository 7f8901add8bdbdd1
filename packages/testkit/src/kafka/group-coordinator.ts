/**
 * Consumer-group coordinator: Kafka's group state machine (Empty → PreparingRebalance →
 * CompletingRebalance → Stable), member sessions, and committed offsets. The broker is the
 * coordinator of every group. Join and sync requests that must wait for other members are
 * parked as promises, as the real coordinator parks them in its purgatory.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from './protocol/constants';

export interface JoinRequest {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
}

export interface JoinResult {
  error: number;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

interface Member {
  id: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
  assignment: Buffer;
  lastSeen: number;
  pendingJoin?: (r: JoinResult) => void;
  pendingSync?: (r: { error: number; assignment: Buffer }) => void;
}

type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';

export interface CommittedOffset {
  offset: number;
  metadata: string | null;
}

class Group {
  state: GroupState = 'Empty';
  generation = 0;
  protocolType = '';
  protocol = '';
  leader = '';
  /** A group formed from empty waits out the initial delay even once everyone has joined. */
  delayed = false;
  readonly members = new Map<string, Member>();
  readonly offsets = new Map<string, Map<number, CommittedOffset>>();
  timer: NodeJS.Timeout | undefined;
  constructor(readonly id: string) {}
}

export interface CoordinatorOptions {
  /** Kafka's group.initial.rebalance.delay.ms: how long a new group waits for more members. */
  initialRebalanceDelayMs: number;
}

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly opts: CoordinatorOptions) {
    this.sweeper = setInterval(() => this.expireSessions(), 100);
    this.sweeper.unref();
  }

  close(): void {
    clearInterval(this.sweeper);
    this.resetMembership();
  }

  /** A broker restart forgets live memberships but keeps committed offsets. */
  resetMembership(): void {
    for (const g of this.groups.values()) {
      if (g.timer) clearTimeout(g.timer);
      g.timer = undefined;
      for (const m of g.members.values()) this.failPending(m, ErrorCode.UNKNOWN_MEMBER_ID);
      g.members.clear();
      g.state = 'Empty';
    }
  }

  private group(id: string): Group {
    let g = this.groups.get(id);
    if (!g) this.groups.set(id, (g = new Group(id)));
    return g;
  }

  join(req: JoinRequest): Promise<JoinResult> {
    const g = this.group(req.groupId);
    const fail = (error: number): Promise<JoinResult> =>
      Promise.resolve({ error, generationId: -1, protocolName: '', leader: '', memberId: req.memberId, members: [] });
    if (req.sessionTimeoutMs <= 0) return fail(ErrorCode.INVALID_SESSION_TIMEOUT);
    if (req.memberId && !g.members.has(req.memberId)) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    if (g.members.size > 0 && (req.protocolType !== g.protocolType || !this.commonProtocol(g, req.protocols))) {
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    const id = req.memberId || `${req.clientId || 'member'}-${randomUUID()}`;
    let m = g.members.get(id);
    if (!m) {
      m = { id, groupInstanceId: req.groupInstanceId, sessionTimeoutMs: 0, rebalanceTimeoutMs: 0, protocolType: '', protocols: [], assignment: Buffer.alloc(0), lastSeen: 0 };
      g.members.set(id, m);
    }
    m.sessionTimeoutMs = req.sessionTimeoutMs;
    m.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    m.protocolType = req.protocolType;
    m.protocols = req.protocols;
    m.lastSeen = Date.now();
    g.protocolType = req.protocolType;
    const result = new Promise<JoinResult>((resolve) => {
      m.pendingJoin?.({ error: ErrorCode.REBALANCE_IN_PROGRESS, generationId: -1, protocolName: '', leader: '', memberId: id, members: [] });
      m.pendingJoin = resolve;
    });
    if (g.state !== 'PreparingRebalance') this.prepareRebalance(g);
    else this.tryCompleteJoin(g);
    return result;
  }

  private commonProtocol(g: Group, extra: { name: string }[] | null): string | undefined {
    const lists = [...g.members.values()].map((m) => m.protocols.map((p) => p.name));
    if (extra) lists.push(extra.map((p) => p.name));
    if (lists.length === 0) return undefined;
    return lists[0].find((name) => lists.every((l) => l.includes(name)));
  }

  private prepareRebalance(g: Group): void {
    const wasEmpty = g.state === 'Empty';
    if (g.state === 'CompletingRebalance') for (const m of g.members.values()) this.failSync(m, ErrorCode.REBALANCE_IN_PROGRESS);
    g.state = 'PreparingRebalance';
    g.delayed = wasEmpty;
    if (g.timer) clearTimeout(g.timer);
    const timeout = wasEmpty ? this.opts.initialRebalanceDelayMs : Math.max(0, ...[...g.members.values()].map((m) => m.rebalanceTimeoutMs));
    g.timer = setTimeout(() => this.completeJoin(g), timeout);
    g.timer.unref();
    if (!wasEmpty) this.tryCompleteJoin(g);
  }

  private tryCompleteJoin(g: Group): void {
    if (g.state !== 'PreparingRebalance' || g.delayed) return;
    for (const m of g.members.values()) if (!m.pendingJoin) return;
    this.completeJoin(g);
  }

  private completeJoin(g: Group): void {
    if (g.timer) clearTimeout(g.timer);
    g.timer = undefined;
    g.delayed = false;
    if (g.state !== 'PreparingRebalance') return;
    for (const m of [...g.members.values()]) if (!m.pendingJoin) g.members.delete(m.id);
    g.generation++;
    if (g.members.size === 0) {
      g.state = 'Empty';
      return;
    }
    g.protocol = this.commonProtocol(g, null) ?? '';
    if (!g.members.has(g.leader)) g.leader = g.members.keys().next().value as string;
    g.state = 'CompletingRebalance';
    const all = [...g.members.values()].map((m) => ({
      memberId: m.id,
      groupInstanceId: m.groupInstanceId,
      metadata: m.protocols.find((p) => p.name === g.protocol)?.metadata ?? Buffer.alloc(0),
    }));
    for (const m of g.members.values()) {
      const resolve = m.pendingJoin!;
      m.pendingJoin = undefined;
      m.lastSeen = Date.now();
      resolve({ error: ErrorCode.NONE, generationId: g.generation, protocolName: g.protocol, leader: g.leader, memberId: m.id, members: m.id === g.leader ? all : [] });
    }
  }

  sync(groupId: string, generation: number, memberId: string, assignments: { memberId: string; assignment: Buffer }[]): Promise<{ error: number; assignment: Buffer }> {
    const g = this.groups.get(groupId);
    const m = g?.members.get(memberId);
    const fail = (error: number) => Promise.resolve({ error, assignment: Buffer.alloc(0) });
    if (!g || !m) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    if (generation !== g.generation) return fail(ErrorCode.ILLEGAL_GENERATION);
    if (g.state === 'PreparingRebalance') return fail(ErrorCode.REBALANCE_IN_PROGRESS);
    m.lastSeen = Date.now();
    if (g.state === 'Stable') return Promise.resolve({ error: ErrorCode.NONE, assignment: m.assignment });
    const result = new Promise<{ error: number; assignment: Buffer }>((resolve) => (m.pendingSync = resolve));
    if (memberId === g.leader) {
      const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]));
      for (const member of g.members.values()) member.assignment = byMember.get(member.id) ?? Buffer.alloc(0);
      g.state = 'Stable';
      for (const member of g.members.values()) {
        const resolve = member.pendingSync;
        member.pendingSync = undefined;
        resolve?.({ error: ErrorCode.NONE, assignment: member.assignment });
      }
    }
    return result;
  }

  heartbeat(groupId: string, generation: number, memberId: string): number {
    const g = this.groups.get(groupId);
    const m = g?.members.get(memberId);
    if (!g || !m) return ErrorCode.UNKNOWN_MEMBER_ID;
    m.lastSeen = Date.now();
    if (generation !== g.generation) return ErrorCode.ILLEGAL_GENERATION;
    if (g.state === 'PreparingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  leave(groupId: string, memberId: string): number {
    const g = this.groups.get(groupId);
    const m = g?.members.get(memberId);
    if (!g || !m) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.removeMember(g, m);
    return ErrorCode.NONE;
  }

  private removeMember(g: Group, m: Member): void {
    this.failPending(m, ErrorCode.UNKNOWN_MEMBER_ID);
    g.members.delete(m.id);
    if (g.state === 'PreparingRebalance') this.tryCompleteJoin(g);
    else if (g.members.size > 0) this.prepareRebalance(g);
    else {
      g.state = 'Empty';
      g.generation++;
    }
  }

  private failPending(m: Member, error: number): void {
    const join = m.pendingJoin;
    m.pendingJoin = undefined;
    join?.({ error, generationId: -1, protocolName: '', leader: '', memberId: m.id, members: [] });
    this.failSync(m, error);
  }

  private failSync(m: Member, error: number): void {
    const sync = m.pendingSync;
    m.pendingSync = undefined;
    sync?.({ error, assignment: Buffer.alloc(0) });
  }

  private expireSessions(): void {
    const now = Date.now();
    for (const g of this.groups.values()) {
      for (const m of [...g.members.values()]) {
        // A member parked in a join is waiting on us, not silent.
        if (!m.pendingJoin && now - m.lastSeen > m.sessionTimeoutMs) this.removeMember(g, m);
      }
    }
  }

  /** Validates a commit's member and generation; generation -1 is a standalone (simple) commit. */
  commitError(groupId: string, generation: number, memberId: string): number {
    if (generation < 0) return ErrorCode.NONE;
    const g = this.groups.get(groupId);
    if (!g || !g.members.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generation !== g.generation) return ErrorCode.ILLEGAL_GENERATION;
    return ErrorCode.NONE;
  }

  commit(groupId: string, topic: string, partition: number, value: CommittedOffset): void {
    const g = this.group(groupId);
    let t = g.offsets.get(topic);
    if (!t) g.offsets.set(topic, (t = new Map()));
    t.set(partition, value);
  }

  committed(groupId: string): ReadonlyMap<string, ReadonlyMap<number, CommittedOffset>> {
    return this.groups.get(groupId)?.offsets ?? new Map();
  }
}
