/** HTML and options shared by the dashboard panels and the Samples view. */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { makeNonce, messageHtml, renderWebviewHtml } from './webviewHtml';

export type WebviewBundle = 'dashboard' | 'samples' | 'sweep';

/**
 * Scripts may come only from dist/, icons from media/, and images only from the runs directories:
 * nothing else on disk is readable by the webview.
 */
export function webviewOptions(extensionUri: vscode.Uri, runsDirs: readonly string[]): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [
      vscode.Uri.joinPath(extensionUri, 'dist'),
      vscode.Uri.joinPath(extensionUri, 'media'),
      ...runsDirs.map((d) => vscode.Uri.file(d)),
    ],
  };
}

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, bundle: WebviewBundle, title: string, bodyClass?: string): string {
  const dir = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
  const script = vscode.Uri.joinPath(dir, `${bundle}.js`);
  if (!existsSync(script.fsPath)) return messageHtml(`GAN Studio: ${script.fsPath} is missing; run "npm run build".`);
  const style = vscode.Uri.joinPath(dir, `${bundle}.css`);
  return renderWebviewHtml({
    title,
    scriptUri: webview.asWebviewUri(script).toString(),
    ...(existsSync(style.fsPath) ? { styleUri: webview.asWebviewUri(style).toString() } : {}),
    cspSource: webview.cspSource,
    nonce: makeNonce(),
    ...(bodyClass ? { bodyClass } : {}),
  });
}
