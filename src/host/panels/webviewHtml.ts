/**
 * The HTML shell of every GAN Studio webview. Pure (no `vscode` import) so that the extension host
 * and the browser tests build the very same page. The CSP allows scripts by nonce only, never
 * `unsafe-eval`, and no 'unsafe-inline' either: the one <style> element the UI toolkit writes (FAST's
 * :focus-visible feature check) carries the nonce FAST reads from <meta property="csp-nonce">.
 * Styles get their own nonce, so the one readable from that meta cannot authorise a script.
 * test/webview/csp.test.ts runs both bundles under this CSP and fails on any violation.
 */
import { randomBytes } from 'node:crypto';

export interface WebviewHtmlOptions {
  title: string;
  /** The bundle, already a webview URI (asWebviewUri). */
  scriptUri: string;
  styleUri?: string;
  /** `webview.cspSource`: the origin that serves the extension's files. */
  cspSource: string;
  /** Script nonce, fresh per page load (makeNonce()). */
  nonce: string;
  /** Style nonce; a fresh one is made when omitted. */
  styleNonce?: string;
  bodyClass?: string;
}

export function renderWebviewHtml(opts: WebviewHtmlOptions): string {
  const styleNonce = opts.styleNonce ?? makeNonce();
  for (const n of [opts.nonce, styleNonce]) {
    if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(n)) throw new Error('renderWebviewHtml: a nonce must be at least 16 base64 characters (use makeNonce())');
  }
  if (styleNonce === opts.nonce) throw new Error('renderWebviewHtml: the style nonce must differ from the script nonce');
  const src = opts.cspSource;
  const csp = [
    "default-src 'none'",
    `img-src ${src} data: blob:`,
    `script-src 'nonce-${opts.nonce}'`,
    `style-src ${src} 'nonce-${styleNonce}'`,
    `font-src ${src}`,
    `connect-src ${src}`,
  ].join('; ');
  const style = opts.styleUri ? `\n    <link rel="stylesheet" href="${escapeHtml(opts.styleUri)}">` : '';
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
    <meta property="csp-nonce" content="${escapeHtml(styleNonce)}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    <title>${escapeHtml(opts.title)}</title>${style}
  </head>
  <body${opts.bodyClass ? ` class="${escapeHtml(opts.bodyClass)}"` : ''}>
    <div id="app"></div>
    <script nonce="${escapeHtml(opts.nonce)}" src="${escapeHtml(opts.scriptUri)}"></script>
  </body>
</html>
`;
}

/** 32 random bytes as base64: unguessable per page load, as a CSP nonce must be. */
export function makeNonce(): string {
  return randomBytes(32).toString('base64');
}

/** A script-free page for when there is nothing to run (a deleted run, a missing build). */
export function messageHtml(message: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none';"><title>GAN Studio</title></head><body><p>${escapeHtml(message)}</p></body></html>`;
}

/** Text for an element or a double-quoted attribute: the characters that could end either are escaped. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}
