/** Quick fixes (Ctrl+.) for the problems ConfigDiagnostics reports in gan.json. */
import * as vscode from 'vscode';
import type { ConfigDiagnostics } from './configDiagnostics';
import { fixesFor } from './configFixEdits';
import { GAN_CONFIG_SELECTOR } from './ganFiles';

export class ConfigQuickFixes implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  constructor(private readonly diagnostics: ConfigDiagnostics) {}

  static register(diagnostics: ConfigDiagnostics): vscode.Disposable {
    return vscode.languages.registerCodeActionsProvider(GAN_CONFIG_SELECTOR, new ConfigQuickFixes(diagnostics), ConfigQuickFixes.metadata);
  }

  provideCodeActions(doc: vscode.TextDocument, range: vscode.Range | vscode.Selection): vscode.CodeAction[] {
    const text = doc.getText();
    const editor = vscode.window.visibleTextEditors.find((e) => e.document === doc);
    const tabSize = typeof editor?.options.tabSize === 'number' ? editor.options.tabSize : 2;
    const insertSpaces = editor?.options.insertSpaces !== false;
    const eol = doc.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n';
    const actions: vscode.CodeAction[] = [];
    for (const item of this.diagnostics.problemsFor(doc)) {
      if (!item.range.intersection(range)) continue;
      for (const fix of fixesFor(text, item.problem, { tabSize, insertSpaces, eol })) {
        const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        const edit = new vscode.WorkspaceEdit();
        for (const e of fix.edits) edit.replace(doc.uri, new vscode.Range(doc.positionAt(e.offset), doc.positionAt(e.offset + e.length)), e.content);
        action.edit = edit;
        action.diagnostics = [item.diagnostic];
        action.isPreferred = fix.preferred;
        actions.push(action);
      }
    }
    return actions;
  }
}
