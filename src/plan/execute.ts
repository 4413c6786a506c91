import type { Logger } from "../ui/logger.js";
import type { Prompter } from "../ui/prompts.js";
import type { Tenant } from "../tenant/connect.js";
import { CancelledError, ExitCode, InputError, stopCause, type StopSignal } from "../errors.js";
import { assertScopes } from "../tenant/scopes.js";
import { applyPlan, type ApplyReport } from "./apply.js";
import { pendingChanges, type Plan } from "./plan.js";
import { renderPlan } from "./render.js";
import { failed, renderChecks, type Check } from "../doctor/check.js";

/** What of a command's context the shared tail uses (a command passes its whole context). */
export interface ExecuteContext {
  logger: Logger;
  prompter: Prompter;
  options: { dryRun?: boolean; json?: boolean; yes?: boolean };
  /** Where the run is, for Ctrl-C (session/context.ts RunControl): set here, read by the interrupt handler. */
  control: { phase: "before" | "applying" | "after"; stopRequested?: StopSignal };
}

export interface ExecuteOptions {
  /** Removes things (teardown): the confirmation defaults to no. */
  destructive?: boolean;
  /** Writes the .env after the tenant changes (init); only called when plan.env is pending. */
  writeEnv?: (report: ApplyReport) => Promise<unknown>;
  /** Printed only when the verdict (if any) is ready: steps after a failed check would not work. */
  nextSteps?: string[];
  /** The doctor's checks after applying (init ends with the verdict), from what apply's report says it changed; fixes completed for this run. */
  verdict?: (report: ApplyReport) => Promise<Check[]>;
  /** After a failed verdict: the command that checks again once the fixes are done. */
  recheck?: string;
  /** Said under printed commands that cannot repeat everything (a typed secret is never printed). */
  commandsNote?: string;
  /** What the command adds to its --json document (credentials create: the scopes it grants, the credentials). */
  document?: Record<string, unknown>;
  /**
   * The command's own step once the tenant changes are applied, where the .env is written
   * (credentials create: the application's secret to the file the user named); what it returns
   * replaces those keys of `document`.
   */
  afterApply?: (report: ApplyReport) => Promise<Record<string, unknown>>;
}

/**
 * The shared tail of every command that changes a tenant: show the plan, stop for --dry-run,
 * check the token's scopes against exactly what the plan needs, confirm, apply the differences,
 * write the .env, and summarise (or print the one --json document).
 */
export async function executePlan(ctx: ExecuteContext, tenant: Tenant, plan: Plan, options: ExecuteOptions = {}): Promise<number> {
  const { logger, prompter } = ctx;
  const dryRun = ctx.options.dryRun === true;
  logger.info(...renderPlan(plan));
  for (const warning of plan.warnings) logger.warn(warning);
  const pending = pendingChanges(plan);
  const envPending = plan.env !== undefined && plan.env.action !== "unchanged";
  // The plan as it is, the very value apply receives: never a copy made for the document.
  let document = options.document ?? {};
  const report = (applied: string[], checks?: Check[]) => ({
    plan,
    result: { dryRun, applied, envWritten: !dryRun && envPending, calls: tenant.http.calls.length, writes: tenant.http.writes() },
    ...(checks ? { doctor: { ok: !failed(checks), checks } } : {}),
    ...document,
  });

  if (dryRun) {
    logger.info("Dry run: nothing was changed and no file was written.");
    if (ctx.options.json) logger.json(report([]));
    return ExitCode.ok;
  }
  assertScopes(
    tenant.scopes,
    pending.flatMap((c) => c.scopes),
  );
  // Deleting needs consent: a prompt, or --yes. A pipe or CI alone is not consent.
  if (options.destructive && pending.length && !prompter.interactive && !ctx.options.yes) {
    throw new InputError("This removes things from the tenant: pass --yes to confirm without a prompt.", "Check the plan above first, or run it with --dry-run.");
  }
  if (
    (pending.length || envPending) &&
    prompter.interactive &&
    !(await prompter.confirm({ message: options.destructive ? "Remove these from the tenant?" : "Apply these changes?", default: !options.destructive }))
  ) {
    logger.info("Nothing was changed.");
    return ExitCode.ok;
  }
  // Ctrl-C from here on stops at a safe point: the writes in flight finish (a write cut off
  // halfway would leave its outcome unknown), the next wave (or the .env) does not start, and the
  // error lists what was applied. Re-running converges, so stopping is safe.
  ctx.control.phase = "applying";
  const proceed = () => {
    const signal = ctx.control.stopRequested;
    if (signal) throw new CancelledError(`Cancelled (${stopCause(signal)}) before the next change.`, undefined, signal);
  };
  const step: typeof logger.step = (label, work) => {
    proceed();
    return logger.step(label, work);
  };
  const applyReport = await applyPlan(tenant, plan, { step: (label, work) => logger.step(label, work), proceed });
  // E.g. another run's proxy application adopted instead of creating a second one, or the default audience it set meanwhile.
  for (const { written } of applyReport.applied) if (written.note || written.notApplied) logger.warn((written.note ?? written.notApplied)!);
  const applied = applyReport.applied.filter((a) => !a.written.notApplied).map((a) => a.change.label);
  if (envPending && options.writeEnv) await step(`Write ${plan.env!.path}`, () => options.writeEnv!(applyReport));
  if (options.afterApply) {
    proceed();
    document = { ...document, ...(await options.afterApply(applyReport)) };
  }
  ctx.control.phase = "after";

  if (!pending.length && !envPending) logger.success("Already up to date: nothing was changed.");
  else if (!applied.length && !envPending) logger.success(`Done: nothing was changed in ${tenant.domain}.`);
  else if (!applied.length) logger.success(`Done: ${plan.env!.path} written; nothing was changed in ${tenant.domain}.`);
  else logger.success(`Done: ${applied.length} change${applied.length === 1 ? "" : "s"} applied to ${tenant.domain}${envPending ? `, ${plan.env!.path} written` : ""}.`);
  const checks = options.verdict ? await options.verdict(applyReport) : undefined;
  if (checks) logger.info("", ...renderChecks(checks));
  const ready = !checks || !failed(checks);
  // Next steps on a tenant that is not ready would send the user to a login that fails: the failed
  // checks above carry their fixes instead, and exit 6 tells CI.
  if (ready && options.nextSteps?.length) logger.info("", "Next steps:", ...options.nextSteps.map((s, i) => `  ${i + 1}. ${s}`));
  if (!ready && options.recheck) logger.info("", `Run the fix of each failed check, then check again: ${options.recheck}`);
  if (options.commandsNote && (options.recheck || options.nextSteps?.length)) logger.info(options.commandsNote);
  if (ctx.options.json) logger.json(report(applied, checks));
  return ready ? ExitCode.ok : ExitCode.notReady;
}
