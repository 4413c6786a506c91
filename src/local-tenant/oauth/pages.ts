/*
 * The few HTML pages of the dev tenant: a login page that lets you pick a dev user (there are no
 * passwords), the consent screen Auth0 shows third-party clients, and an error page. Plain HTML
 * with inline CSS and no script, so they work in any browser and are easy to drive from a test.
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; background: #f4f4f6; margin: 0; display: flex; justify-content: center; }
  main { background: #fff; margin: 3rem 1rem; padding: 2rem 2.5rem; border-radius: 8px; max-width: 26rem; width: 100%; box-shadow: 0 2px 12px rgba(0,0,0,.08); }
  h1 { font-size: 1.3rem; margin: 0 0 .5rem; }
  p.note { color: #666; font-size: .85rem; }
  ul { padding-left: 1.2rem; }
  h2 { font-size: .95rem; color: #444; margin: 1.2rem 0 .4rem; }
  button { display: block; width: 100%; margin: .4rem 0; padding: .7rem; border: 1px solid #ccc; border-radius: 6px; background: #fff; font-size: .95rem; cursor: pointer; text-align: left; }
  button.primary { background: #635dff; color: #fff; border-color: #635dff; text-align: center; }
  button.secondary { text-align: center; }
  .error { color: #b00020; }
</style>
</head>
<body><main>
${body}
<p class="note">mcp-auth0 local dev tenant — not Auth0.</p>
</main></body>
</html>
`;
}

export interface LoginChoice {
  userId: string;
  email: string;
  name: string;
  connection: string;
}

export function renderLoginPage(options: { state: string; clientName: string; action: string; choices: LoginChoice[] }): string {
  const byConnection = new Map<string, LoginChoice[]>();
  for (const choice of options.choices) byConnection.set(choice.connection, [...(byConnection.get(choice.connection) ?? []), choice]);
  const groups = [...byConnection]
    .map(
      ([connection, choices]) =>
        `<h2>${escapeHtml(connection)}</h2>\n` +
        choices.map((c) => `<button type="submit" name="user_id" value="${escapeHtml(c.userId)}">${escapeHtml(c.name)} &lt;${escapeHtml(c.email)}&gt;</button>`).join("\n"),
    )
    .join("\n");
  return layout(
    "Log in",
    `<h1>Log in to ${escapeHtml(options.clientName)}</h1>
<p class="note">Choose a dev user. The local tenant has no passwords.</p>
<form method="post" action="${escapeHtml(options.action)}">
<input type="hidden" name="state" value="${escapeHtml(options.state)}">
${groups}
</form>`,
  );
}

export function renderConsentPage(options: {
  state: string;
  clientName: string;
  userEmail: string;
  tenantName: string;
  action: string;
  /** What the user is asked to allow, already turned into descriptions when the tenant says so. */
  scopes: string[];
  offline: boolean;
}): string {
  const items = options.scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join("\n");
  const list = items ? `<ul>\n${items}\n</ul>` : `<p class="note">No permission for any API.</p>`;
  return layout(
    "Authorize App",
    `<h1>Authorize ${escapeHtml(options.clientName)}</h1>
<p>Hi ${escapeHtml(options.userEmail)}, <strong>${escapeHtml(options.clientName)}</strong> is requesting access to your ${escapeHtml(options.tenantName)} account.</p>
${list}
${options.offline ? `<p class="note">It also asks to stay signed in (offline access).</p>` : ""}
<form method="post" action="${escapeHtml(options.action)}">
<input type="hidden" name="state" value="${escapeHtml(options.state)}">
<button class="primary" type="submit" name="decision" value="accept">Accept</button>
<button class="secondary" type="submit" name="decision" value="decline">Decline</button>
</form>`,
  );
}

/** Auth0's error page; `hint`, a line of the dev tenant's own below Auth0's words. */
export function renderErrorPage(error: string, description?: string, hint?: string): string {
  return layout(
    "Error",
    `<h1>Oops!, something went wrong</h1>
<p class="error"><strong>${escapeHtml(error)}</strong>${description ? `: ${escapeHtml(description)}` : ""}</p>${hint ? `\n<p class="note">${escapeHtml(hint)}</p>` : ""}`,
  );
}
