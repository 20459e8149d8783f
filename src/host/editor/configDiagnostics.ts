/**
 * Semantic diagnostics for gan.json from the same checks as `gan-studio validate`, on open, on
 * save and shortly after each edit. The schema hints (completion, hover) come from jsonValidation;
 * JSON syntax and schema errors are left to VS Code's JSON language server, which already reports
 * them from the same schema (jsonValidation); showing ours too would list each problem twice.
 */
import * as vscode from 'vscode';
import { validateConfigText, type ConfigProblem } from '../../config/validateConfig';
import { fileChecksFor, isGanConfigDocument } from './ganFiles';

export const DIAGNOSTIC_SOURCE = 'GAN Studio';
const EDIT_DEBOUNCE_MS = 300;

/** A diagnostic together with the problem it came from (for quick fixes). */
export interface LocatedProblem {
  problem: ConfigProblem;
  range: vscode.Range;
  diagnostic: vscode.Diagnostic;
}

export class ConfigDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('gan-studio');
  private readonly problems = new Map<string, { version: number; items: LocatedProblem[] }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.disposables.push(
      this.collection,
      vscode.workspace.onDidOpenTextDocument((d) => this.check(d)),
      vscode.workspace.onDidSaveTextDocument((d) => this.check(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)),
      vscode.workspace.onDidCloseTextDocument((d) => this.clear(d.uri)),
    );
    for (const d of vscode.workspace.textDocuments) this.check(d);
  }

  private schedule(doc: vscode.TextDocument): void {
    if (!isGanConfigDocument(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.check(doc);
      }, EDIT_DEBOUNCE_MS),
    );
  }

  check(doc: vscode.TextDocument): void {
    if (!isGanConfigDocument(doc) || doc.isClosed) return;
    const items = locateProblems(doc, validateConfigText(doc.getText(), fileChecksFor(doc.uri)).problems);
    this.problems.set(doc.uri.toString(), { version: doc.version, items });
    this.collection.set(
      doc.uri,
      items.map((i) => i.diagnostic),
    );
  }

  /** Problems of the document's current version (recomputed when the cache is stale). */
  problemsFor(doc: vscode.TextDocument): LocatedProblem[] {
    const cached = this.problems.get(doc.uri.toString());
    if (!cached || cached.version !== doc.version) this.check(doc);
    return this.problems.get(doc.uri.toString())?.items ?? [];
  }

  private clear(uri: vscode.Uri): void {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.problems.delete(key);
    this.collection.delete(uri);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

export function isSyntaxProblem(p: ConfigProblem): boolean {
  return p.stage === 'syntax';
}

function locateProblems(doc: vscode.TextDocument, problems: ConfigProblem[]): LocatedProblem[] {
  return problems
    .filter((p) => p.stage === 'semantic')
    .map((problem) => {
      const start = doc.positionAt(problem.offset ?? 0);
      const end = doc.positionAt((problem.offset ?? 0) + Math.max(1, problem.length ?? 1));
      const range = new vscode.Range(start, end);
      const where = problem.path === '' ? 'gan.json' : problem.path;
      const diagnostic = new vscode.Diagnostic(
        range,
        `${where} ${problem.message}`,
        problem.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Error,
      );
      diagnostic.source = DIAGNOSTIC_SOURCE;
      return { problem, range, diagnostic };
    });
}
