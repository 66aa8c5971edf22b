import type { SandboxReply } from './simulators/wire';

import { escapeHtml } from '../../common/html';

const STYLE = `
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;background:#f4f5f7;color:#1d2330;margin:0;padding:40px 16px}
main{max-width:460px;margin:0 auto;background:#fff;border-radius:10px;box-shadow:0 2px 12px rgba(0,0,0,.08);padding:28px}
h1{font-size:20px;margin:0 0 4px}.sub{color:#667;margin:0 0 20px;font-size:14px}
.badge{display:inline-block;background:#fff3cd;color:#7a5b00;border-radius:4px;padding:2px 8px;font-size:12px;margin-bottom:16px}
dl{display:grid;grid-template-columns:auto 1fr;gap:6px 12px;font-size:14px;margin:0 0 18px}dt{color:#667}dd{margin:0;word-break:break-all}
ul{margin:0 0 18px;padding-left:20px;font-size:14px}label{font-size:14px;color:#667;display:block;margin-bottom:4px}
input[type=text]{width:100%;box-sizing:border-box;padding:8px;border:1px solid #ccd;border-radius:6px;font-size:14px;margin-bottom:20px}
.actions{display:flex;gap:12px}button{flex:1;padding:10px;border-radius:6px;font-size:15px;cursor:pointer;border:1px solid #ccd;background:#fff}
#approve{background:#2456d3;border-color:#2456d3;color:#fff}.error{color:#a4161a}
`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>
`;
}

/** A plain error page: invalid authorize requests are never redirected (the redirect_uri is not trusted). */
export function errorPage(status: number, providerName: string, message: string): SandboxReply {
  const html = page(
    `${providerName}: request refused`,
    `<span class="badge">Sandbox</span>
<h1 class="error">${escapeHtml(providerName)} refused this authorization request</h1>
<p class="sub">${escapeHtml(message)}</p>`,
  );
  return { status, html };
}

export interface ConsentPageInput {
  providerName: string;
  scopes: string[];
  account: Array<[string, string]>;
  defaultSeed: string;
  redirectUri: string;
  /** The original authorize parameters, posted back as hidden fields. */
  hidden: Record<string, string>;
}

export function consentPage(input: ConsentPageInput): SandboxReply {
  const hidden = Object.entries(input.hidden)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  const scopes = input.scopes.length
    ? input.scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join('')
    : '<li>Default access (no scopes requested)</li>';
  const account = input.account.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('');
  const html = page(
    `Authorize with ${input.providerName}`,
    `<span class="badge">Sandbox</span>
<h1>${escapeHtml(input.providerName)}</h1>
<p class="sub">A simulated ${escapeHtml(input.providerName)} asks you to grant access. Nothing leaves this machine.</p>
<h2 style="font-size:15px">Requested access</h2>
<ul id="scopes">${scopes}</ul>
<h2 style="font-size:15px">Signed in as</h2>
<dl id="account-details">${account}</dl>
<form method="post" action="consent">
${hidden}
<label for="account">Simulated account (the same name always maps to the same provider account)</label>
<input type="text" id="account" name="account" value="${escapeHtml(input.defaultSeed)}" maxlength="64" autocomplete="off">
<p class="sub">You will be sent back to <code>${escapeHtml(input.redirectUri)}</code></p>
<div class="actions">
<button type="submit" id="approve" name="decision" value="approve">Approve</button>
<button type="submit" id="deny" name="decision" value="deny">Deny</button>
</div>
</form>`,
  );
  return { status: 200, html };
}
