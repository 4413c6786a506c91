import type { Tenant } from "../tenant/connect.js";
import { causes, OutcomeUnknownError } from "../tenant/http.js";
import { CliError } from "../errors.js";
import { toCliError } from "../tenant/errors.js";
import type { Wave, Write, Written, WrittenBy } from "../resources/handler.js";
import { takeTenantLock } from "../resources/tenant-lock.js";
import { handlerOf, type Change } from "../resources/registry.js";
import { pendingChanges, type Plan } from "./plan.js";

export function describeStep(change: Change): string {
  return handlerOf(change).describe(change);
}

/** What apply did: each applied change (as finally applied, after any read-back) with what its writes returned. */
export interface ApplyReport {
  applied: Array<{ change: Change; written: Written }>;
}

/** What was read before apply, brought up to date with the answers of apply's writes: no second read. */
export function settledState<S extends object>(state: S, report: ApplyReport): S {
  const after = { ...state };
  for (const { change, written } of report.applied) handlerOf(change).settle?.(after, change, written);
  return after;
}

/** A change of which some writes took effect and some did not (a role created in wave 1, its permissions due in wave 2). */
export interface PartlyApplied {
  change: Change;
  done: string[];
  notDone: string[];
}

export class PartialApplyError extends CliError {
  constructor(
    readonly applied: Change[],
    readonly notApplied: Change[],
    readonly reason: CliError,
    readonly partly: PartlyApplied[] = [],
  ) {
    const partlyText = partly.length
      ? ` Partly applied: ${partly.map((p) => `${p.change.label} (done: ${p.done.join(" and ")}; not done: ${p.notDone.join(" and ")})`).join("; ")}.`
      : "";
    super(
      [
        ...reason.lines,
        `Applied: ${applied.map((c) => c.label).join("; ") || "nothing"}.${partlyText}${notApplied.length ? ` Not applied: ${notApplied.map((c) => c.label).join("; ")}.` : ""}`,
      ],
      reason.exitCode,
      // The reason's own hint may already say to re-run (a broken connection, a timeout): said once.
      reason.hint?.includes("Re-run the same command")
        ? reason.hint
        : `${reason.hint ? `${reason.hint} ` : ""}Re-run the same command to complete the rest: it changes only what is still missing.`,
      { cause: reason },
    );
  }
}

export interface ApplyHooks {
  step<T>(label: string, work: () => Promise<T>): Promise<T>;
  /** Called before each wave; throws to stop there (Ctrl-C): the error then lists what was applied. */
  proceed?(): void;
}

const isConflict = (error: unknown) => (error as { statusCode?: number }).statusCode === 409;
const outcomeUnknown = (error: unknown) => causes(error).some((e) => e instanceof OutcomeUnknownError);
const WAVES: Wave[] = [1, 2, 3, 4];
type MergedWrite = Extract<Write, { merge: unknown }>["merge"];

/** One change while it is applied: the version being applied (a read-back may replace it) and what its writes returned. */
interface Task {
  change: Change;
  written: Written;
  applied: boolean;
  /** The waves whose writes of this change took effect: what the summary reports when the run stops between two. */
  wavesDone: Set<Wave>;
  failed?: unknown;
  /** Nothing is left to send: its claim's re-read found it done, or taken by another run. */
  ended?: boolean;
  /** Releases the lock of its claim, once taken. */
  release?: () => Promise<void>;
  /** Settles when the change is fully applied or has failed, for its progress step. */
  done: Promise<void>;
  finish(error?: unknown): void;
}

function shallowMerge(into: Record<string, unknown>, body: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(body)) {
    const current = into[key];
    into[key] = isRecord(current) && isRecord(value) ? { ...current, ...value } : value;
  }
}
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Sends one change's writes of one wave. A write whose connection broke may have taken effect, and
 * a create may meet what an earlier attempt created (409): then the resource is read back and only
 * what is still missing is sent, so a retry never duplicates an API, a grant or a role.
 */
async function sendWave(tenant: Tenant, task: Task, wave: Wave, writtenBy: WrittenBy): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const writes = handlerOf(task.change)
      .writes(task.change)
      .flatMap((w) => (w.wave === wave && "send" in w ? [w] : []));
    try {
      // The writes of one change in one wave are independent (a role's permissions and its users): together too.
      const answers = await Promise.all(writes.map((write) => write.send(tenant, task.written, writtenBy)));
      for (const answer of answers) Object.assign(task.written, answer);
      return;
    } catch (error) {
      // Bounded: under periodic faults each attempt (read back, then send what is missing) has an even chance.
      // The last attempt is read back too: a write whose answer was lost may well have taken effect.
      const handler = handlerOf(task.change);
      if (!handler.refresh || !(outcomeUnknown(error) || isConflict(error))) throw error;
      const refreshed = await handler.refresh(tenant, task.change);
      task.change = refreshed;
      task.written.readBack = true;
      if ("id" in refreshed && typeof refreshed.id === "string") task.written.id = refreshed.id;
      if (refreshed.action === "unchanged") return;
      if (attempt >= 5) throw error;
    }
  }
}

/** Writes merged into one call (the tenant settings PATCH): sent once; resent as is when the outcome is unknown (a PATCH repeats safely). */
async function sendMerged(tenant: Tenant, group: Array<{ task: Task; merge: MergedWrite }>): Promise<void> {
  const body: Record<string, unknown> = {};
  for (const { merge } of group) shallowMerge(body, merge.body);
  for (let attempt = 1; ; attempt++) {
    try {
      const written = await group[0]!.merge.send(tenant, body);
      for (const { task } of group) Object.assign(task.written, written);
      return;
    } catch (error) {
      if (attempt >= 5 || !outcomeUnknown(error)) throw error;
    }
  }
}

/**
 * A change that claims what other runs may claim too (Handler.claim): its lock, then its re-read,
 * during the wave before its first write. What the re-read found replaces the change; when nothing
 * is left to send, the change ends here. A re-read that differs from what the plan read means
 * another run changed the tenant meanwhile: `readBack` makes the closing verdict read it again.
 */
async function claimFor(tenant: Tenant, task: Task): Promise<void> {
  const claim = handlerOf(task.change).claim!;
  task.release = await takeTenantLock(tenant.domain, claim.key(task.change as never)!);
  const { change, written } = await claim.recheck(tenant, task.change as never);
  Object.assign(task.written, written);
  if (written?.notApplied || (change.action === "unchanged" && task.change.action !== "unchanged")) task.written.readBack = true;
  task.change = change;
  if (written?.notApplied || change.action === "unchanged") {
    task.ended = true;
    task.applied = !written?.notApplied;
    // Its progress line must not read as done: it ends as not applied, and the summary says why.
    await endTask(task, written?.notApplied ? new Error(written.notApplied) : undefined);
  }
}

async function endTask(task: Task, error?: unknown): Promise<void> {
  await task.release?.();
  task.release = undefined;
  task.finish(error);
}

/**
 * Applies exactly the plan's differences in dependency waves: every write of one wave goes out
 * together (the HTTP layer paces them to the rate limit), and a wave starts once the one before it
 * is done. A failure stops before the next wave; the error says what was and was not applied.
 * The plan is not changed: ids and answers are in the report.
 */
export async function applyPlan(tenant: Tenant, plan: Plan, hooks: ApplyHooks): Promise<ApplyReport> {
  const tasks: Task[] = pendingChanges(plan).map((change) => {
    let finish!: (error?: unknown) => void;
    const done = new Promise<void>(
      (resolve, reject) => (finish = (error) => (error === undefined ? resolve() : reject(error instanceof Error ? error : new Error(String(error))))),
    );
    done.catch(() => undefined);
    return { change, written: {}, applied: false, wavesDone: new Set<Wave>(), done, finish };
  });
  // One progress step per change, shown in plan order whatever order the waves finish them in, so
  // that the output reads the same on every run; each ends when the change's last write is answered.
  const steps = (async () => {
    for (const task of tasks) await hooks.step(describeStep(task.change), () => task.done).catch(() => undefined);
  })();
  const lastWave = (task: Task) =>
    Math.max(
      0,
      ...handlerOf(task.change)
        .writes(task.change)
        .map((w) => w.wave),
    );

  const firstWave = (task: Task) =>
    Math.min(
      ...handlerOf(task.change)
        .writes(task.change)
        .map((w) => w.wave),
    );
  const writtenBy: WrittenBy = (kind) => tasks.find((t) => t.change.kind === kind && t.applied)?.written;

  /** Sends wave after wave; returns what stopped them, if anything did. */
  async function sendWaves(): Promise<unknown> {
    for (const wave of WAVES) {
      try {
        hooks.proceed?.();
      } catch (error) {
        return error;
      }
      const claims = tasks.filter((t) => !t.failed && !t.ended && handlerOf(t.change).claim?.key(t.change as never) && firstWave(t) === wave + 1);
      const live = tasks.filter((t) => !t.failed && !t.ended);
      const merged = new Map<string, Array<{ task: Task; merge: MergedWrite }>>();
      const separate: Task[] = [];
      for (const task of live) {
        const writes = handlerOf(task.change)
          .writes(task.change)
          .filter((w) => w.wave === wave);
        for (const write of writes) {
          if ("merge" in write) merged.set(write.merge.key, [...(merged.get(write.merge.key) ?? []), { task, merge: write.merge }]);
        }
        if (writes.some((w) => "send" in w)) separate.push(task);
      }
      const sends = [
        ...separate.map((task) => sendWave(tenant, task, wave, writtenBy).catch((error: unknown) => void (task.failed = error))),
        ...[...merged.values()].map((group) =>
          sendMerged(tenant, group).catch((error: unknown) => {
            for (const { task } of group) task.failed = error;
          }),
        ),
        // Claims re-read alongside this wave's writes: no round trip of their own.
        ...claims.map((task) => claimFor(tenant, task).catch((error: unknown) => void (task.failed = error))),
      ];
      await Promise.all(sends);
      for (const task of live) {
        if (task.ended) continue;
        if (
          !task.failed &&
          handlerOf(task.change)
            .writes(task.change)
            .some((w) => w.wave === wave)
        )
          task.wavesDone.add(wave);
        if (task.failed) await endTask(task, task.failed);
        else if (lastWave(task) <= wave) {
          task.applied = true;
          await endTask(task);
        }
      }
      const failed = tasks.find((t) => t.failed)?.failed;
      if (failed) return failed;
    }
    return undefined;
  }
  let failure: unknown;
  try {
    failure = await sendWaves();
  } finally {
    // A claim's lock outlives no run: released however apply ends.
    await Promise.all(tasks.flatMap((t) => (t.release ? [t.release()] : [])));
  }
  if (failure) {
    // Changes with writes left for the waves that were not sent end their steps as not applied.
    for (const task of tasks) if (!task.applied && !task.failed && !task.ended) task.finish(failure);
  }
  await steps;
  if (failure) {
    const partly = tasks.filter((t) => !t.applied && t.wavesDone.size > 0);
    throw new PartialApplyError(
      tasks.filter((t) => t.applied).map((t) => t.change),
      tasks.filter((t) => !t.applied && !partly.includes(t)).map((t) => t.change),
      toCliError(failure, tenant.domain),
      partly.map((t) => {
        const writes = handlerOf(t.change).writes(t.change);
        const what = (w: Write) => w.what ?? describeStep(t.change);
        return { change: t.change, done: writes.filter((w) => t.wavesDone.has(w.wave)).map(what), notDone: writes.filter((w) => !t.wavesDone.has(w.wave)).map(what) };
      }),
    );
  }
  return { applied: tasks.map(({ change, written }) => ({ change, written })) };
}
