import { escapeHtml } from '../common/html';
import { htmlPage } from '../oauth/result-page';

export interface PickerChoice {
  /** The provider's name (the authorize route's). */
  name: string;
  displayName: string;
  /** Its authorize link, with the session and what the browser passed on. */
  href: string;
}

/**
 * Targets of at least 44 × 44 CSS pixels (WCAG 2.5.8 asks 24, 2.5.5 AAA 44), a focus ring of 3 px at
 * 3:1 against the page and the link, text at more than 7:1; one column that fits a 320 px wide screen.
 */
const PICKER_STYLE = `
.providers{list-style:none;padding:0;margin:1.5rem 0;display:grid;gap:.75rem}
.providers a{display:flex;align-items:center;box-sizing:border-box;min-height:44px;min-width:44px;padding:.6rem 1rem;border:1px solid #6e7781;border-radius:.5rem;color:#0a3069;background:#fff;font-weight:600;text-decoration:none;overflow-wrap:anywhere}
.providers a:hover{background:#f6f8fa;text-decoration:underline}
.providers a:focus-visible{outline:3px solid #0969da;outline-offset:2px}
.hint{color:#57606a}`;

/** The hosted picker: server-rendered, no script, a labelled list of links (works without JavaScript). */
export function pickerPage(choices: PickerChoice[]): string {
  const items = choices
    .map(
      (c) =>
        `<li><a href="${escapeHtml(c.href)}" data-provider="${escapeHtml(c.name)}">${escapeHtml(c.displayName)}</a></li>`,
    )
    .join('\n');
  return htmlPage(
    'Choose what to connect',
    `<h1 id="choose">Choose what to connect</h1>
<p class="hint">You will sign in at the one you choose and approve the connection there.</p>
<ul class="providers" aria-labelledby="choose">
${items}
</ul>`,
    { style: PICKER_STYLE },
  );
}
