import type { IncomingMessage, ServerResponse } from "node:http";

import type Provider from "oidc-provider";
import type { Grant, InteractionResults } from "oidc-provider";

import { readBody } from "../http.js";
import type { Client, TenantStore } from "../store.js";
import { renderConsentPage, renderErrorPage, renderLoginPage } from "./pages.js";
import { AUTH0_ERRORS, grantableScopes, isThirdParty, loginCandidates, OIDC_SCOPES, scopeLabel } from "./policy.js";
import { CONSENT_PATH, LOGIN_PATH, singleResource } from "./provider.js";

type Interaction = InstanceType<Provider["Interaction"]>;

const split = (scope: unknown): string[] => (typeof scope === "string" ? scope.split(" ").filter(Boolean) : []);
const epochTime = () => Math.floor(Date.now() / 1000);

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "content-length": Buffer.byteLength(html) });
  res.end(html);
}

/** What a consent would grant: the requested scopes this client may have for this user, and the rest. */
interface ConsentPlan {
  resource?: string;
  grantedScopes: string[];
  rejectedScopes: string[];
  oidcScopes: string[];
  offline: "granted" | "rejected" | "not requested";
}

/**
 * The pages behind oidc-provider's prompts, at Auth0's Universal Login paths: `/u/login` (pick a
 * dev user of a connection the client may use) and `/u/consent` (the consent screen Auth0 always
 * shows third-party clients). With `autoLogin`, both happen without a page: the user (or the one
 * named by `login_hint`) is logged in and consents at once — the headless mode for tests and CI.
 */
export class Interactions {
  constructor(
    private readonly provider: Provider,
    private readonly store: TenantStore,
    private readonly autoLogin: string | undefined,
  ) {}

  handles(pathname: string): boolean {
    return pathname === LOGIN_PATH || pathname === CONSENT_PATH;
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const form = req.method === "POST" ? new URLSearchParams((await readBody(req)).toString("utf8")) : undefined;
    const state = (form ?? url.searchParams).get("state") ?? "";
    const interaction = state ? await this.provider.Interaction.find(state) : undefined;
    if (!interaction) {
      sendHtml(res, 400, renderErrorPage("invalid_request", "The login transaction is unknown or has expired. Start the login again from the application."));
      return;
    }
    const clientId = typeof interaction.params["client_id"] === "string" ? interaction.params["client_id"] : "";
    const client = this.store.findOAuthClient(clientId);
    if (!client) {
      await this.finish(res, interaction, { error: "invalid_client", error_description: AUTH0_ERRORS.unknownClient(clientId) });
      return;
    }
    if (url.pathname === LOGIN_PATH) await this.login(res, interaction, client, form);
    else await this.consent(res, interaction, client, form);
  }

  private async login(res: ServerResponse, interaction: Interaction, client: Client, form: URLSearchParams | undefined): Promise<void> {
    const candidates = loginCandidates(this.store, client);
    if (candidates.length === 0) {
      // Auth0's answer when a (third-party) client has no connection to log in with.
      await this.finish(res, interaction, { error: "invalid_request", error_description: AUTH0_ERRORS.noConnections });
      return;
    }

    if (this.autoLogin !== undefined) {
      const hint = typeof interaction.params["login_hint"] === "string" ? interaction.params["login_hint"] : undefined;
      const email = hint ?? this.autoLogin;
      const chosen = candidates.find((c) => c.user.email === email);
      if (!chosen) {
        const usable = candidates.map((c) => c.user.email).join(", ");
        await this.finish(res, interaction, {
          error: "access_denied",
          error_description: `Auto-login: ${email} cannot log in to this client through its connections (users who can: ${usable})`,
        });
        return;
      }
      const accountId = chosen.user.user_id;
      const grantId = await this.saveGrant(interaction, accountId, this.plan(interaction, client, accountId));
      await this.finish(res, interaction, { login: { accountId }, consent: { grantId } });
      return;
    }

    if (!form) {
      sendHtml(
        res,
        200,
        renderLoginPage({
          state: interaction.uid,
          clientName: client.name,
          action: LOGIN_PATH,
          choices: candidates.map(({ user, connection }) => ({ userId: user.user_id, email: user.email, name: user.name, connection: connection.name })),
        }),
      );
      return;
    }
    const chosen = candidates.find((c) => c.user.user_id === form.get("user_id"));
    if (!chosen) {
      sendHtml(res, 400, renderErrorPage("invalid_request", "Choose one of the listed users."));
      return;
    }
    await this.finish(res, interaction, { login: { accountId: chosen.user.user_id } });
  }

  private async consent(res: ServerResponse, interaction: Interaction, client: Client, form: URLSearchParams | undefined): Promise<void> {
    const accountId = interaction.session?.accountId;
    if (!accountId) {
      await this.finish(res, interaction, { error: "login_required", error_description: "The consent screen needs a logged-in user." });
      return;
    }
    const plan = this.plan(interaction, client, accountId);
    // Auth0 asks third-party clients' users for consent every time something new is requested;
    // first-party clients are trusted. Headless mode consents for the user.
    const ask = isThirdParty(client) && this.autoLogin === undefined;
    if (!ask || form?.get("decision") === "accept") {
      const grantId = await this.saveGrant(interaction, accountId, plan);
      await this.finish(res, interaction, { consent: { grantId } });
      return;
    }
    if (form) {
      await this.finish(res, interaction, { error: "access_denied", error_description: AUTH0_ERRORS.consentDenied });
      return;
    }
    const api = plan.resource === undefined ? undefined : this.store.resourceServerByIdentifier(plan.resource);
    const user = this.store.findUser(accountId);
    const tenantName = String(this.store.settings["friendly_name"] ?? this.store.domain);
    sendHtml(
      res,
      200,
      renderConsentPage({
        state: interaction.uid,
        clientName: client.name,
        userEmail: user?.email ?? accountId,
        tenantName,
        action: CONSENT_PATH,
        scopes: plan.grantedScopes.map((s) => scopeLabel(this.store, api, s)),
        offline: plan.offline === "granted",
      }),
    );
  }

  /** What this authorization request may be granted for this user, by the tenant's rules. */
  private plan(interaction: Interaction, client: Client, accountId: string): ConsentPlan {
    const requested = split(interaction.params["scope"]);
    const resource = singleResource(interaction.params["resource"]);
    const api = resource === undefined ? undefined : this.store.resourceServerByIdentifier(resource);
    const oidcScopes = requested.filter((s) => (OIDC_SCOPES as readonly string[]).includes(s));
    const apiScopes = requested.filter((s) => !(OIDC_SCOPES as readonly string[]).includes(s) && s !== "offline_access");
    const allowed = new Set(api ? grantableScopes(this.store, client, accountId, api) : []);
    const offline = !requested.includes("offline_access") ? "not requested" : api && !api.allow_offline_access ? "rejected" : "granted";
    return {
      ...(api ? { resource: api.identifier } : {}),
      grantedScopes: apiScopes.filter((s) => allowed.has(s)),
      rejectedScopes: apiScopes.filter((s) => !allowed.has(s)),
      oidcScopes,
      offline,
    };
  }

  private async saveGrant(interaction: Interaction, accountId: string, plan: ConsentPlan): Promise<string> {
    const existing: Grant | undefined = interaction.grantId ? await this.provider.Grant.find(interaction.grantId) : undefined;
    // Under the id the request named: a CIMD client's metadata URL, which oidc-provider knows it by.
    const grant = existing && existing.accountId === accountId ? existing : new this.provider.Grant({ accountId, clientId: String(interaction.params["client_id"]) });
    const oidc = [...plan.oidcScopes, ...(plan.offline === "granted" ? ["offline_access"] : [])];
    if (oidc.length > 0) grant.addOIDCScope(oidc.join(" "));
    if (plan.offline === "rejected") grant.rejectOIDCScope("offline_access");
    if (plan.resource !== undefined) {
      if (plan.grantedScopes.length > 0) grant.addResourceScope(plan.resource, plan.grantedScopes.join(" "));
      // Refused by policy (no client grant, no permission), so that oidc-provider does not ask again.
      if (plan.rejectedScopes.length > 0) grant.rejectResourceScope(plan.resource, plan.rejectedScopes.join(" "));
    }
    return grant.save();
  }

  /** oidc-provider's `interactionFinished`, by the interaction's id rather than its cookie. */
  private async finish(res: ServerResponse, interaction: Interaction, result: InteractionResults): Promise<void> {
    interaction.result = "error" in result ? result : { ...interaction.lastSubmission, ...result };
    await interaction.save(interaction.exp - epochTime());
    res.writeHead(303, { location: interaction.returnTo, "content-length": "0", "cache-control": "no-store" });
    res.end();
  }
}
