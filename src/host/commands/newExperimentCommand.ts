/** "New GAN Experiment…": writes a gan.json from a template and opens it. */
import { posix } from 'node:path';
import * as vscode from 'vscode';
import { errorMessage, type Command, type Services } from './command';

export interface ExperimentTemplate {
  id: string;
  /** File in templates/. */
  file: string;
  label: string;
  detail: string;
}

export const EXPERIMENT_TEMPLATES: readonly ExperimentTemplate[] = [
  { id: 'ring', file: 'ring.json', label: 'Ring of Gaussians (2-D)', detail: 'Eight modes on a circle; the benchmark recipe, about four minutes on one core. Watch G find every mode.' },
  { id: 'grid', file: 'grid.json', label: 'Grid of Gaussians (2-D)', detail: 'Twenty-five modes on a 5×5 grid: a harder test of mode coverage, about five minutes on two cores.' },
  { id: 'mnist', file: 'mnist.json', label: 'MNIST digits (DCGAN)', detail: 'Handwritten digits 28×28 from the bundled MNIST files; a DCGAN, about eleven minutes on two cores.' },
  { id: 'imageFolder', file: 'imageFolder.json', label: 'Your image folder (DCGAN)', detail: 'PNG/JPEG images from a folder next to the gan.json, resized to 32×32 RGB.' },
];

export class NewExperimentCommand implements Command {
  readonly id = 'ganStudio.newExperiment';
  constructor(private readonly s: Services) {}

  async execute(arg?: unknown): Promise<void> {
    const preset = typeof arg === 'string' ? EXPERIMENT_TEMPLATES.find((t) => t.id === arg) : undefined;
    const template =
      preset ??
      (await vscode.window.showQuickPick(
        EXPERIMENT_TEMPLATES.map((t) => ({ label: t.label, detail: t.detail, template: t })),
        { title: 'New GAN Experiment…', placeHolder: 'Start from a template' },
      ))?.template;
    if (!template) return;
    const target = await this.target(template, arg instanceof vscode.Uri ? arg : undefined);
    if (!target) return;
    try {
      const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(this.s.extensionUri, 'templates', template.file));
      const config = JSON.parse(Buffer.from(bytes).toString('utf8')) as { name?: string };
      // Name the experiment after its folder so runs of different experiments are told apart.
      const folderName = posix.basename(posix.dirname(target.path));
      if (folderName && /^[\w.-]+$/.test(folderName)) config.name = folderName;
      await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(target, '..'));
      await vscode.workspace.fs.writeFile(target, Buffer.from(`${JSON.stringify(config, null, 2)}\n`));
      const doc = await vscode.workspace.openTextDocument(target);
      await vscode.window.showTextDocument(doc);
      if (template.id === 'imageFolder') {
        void vscode.window.showInformationMessage('GAN Studio: put your images in an "images" folder next to the gan.json (or change /data/path), then run Train GAN.');
      }
    } catch (err) {
      void vscode.window.showErrorMessage(`GAN Studio: could not create ${target.fsPath}: ${errorMessage(err)}`);
    }
  }

  private async target(template: ExperimentTemplate, folderArg: vscode.Uri | undefined): Promise<vscode.Uri | undefined> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    let base = folderArg;
    if (!base && folders.length === 1) base = folders[0].uri;
    if (!base && folders.length > 1) base = (await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Create the experiment in which folder?' }))?.uri;
    if (!base) {
      return vscode.window.showSaveDialog({ title: 'Save the new gan.json', defaultUri: vscode.Uri.file(`${template.id}/gan.json`), filters: { JSON: ['json'] } });
    }
    let suggestion = `${template.id}/gan.json`;
    for (let i = 2; await exists(vscode.Uri.joinPath(base, suggestion)); i++) suggestion = `${template.id}-${i}/gan.json`;
    const rel = await vscode.window.showInputBox({
      title: 'New GAN Experiment…',
      prompt: `Where to write the experiment, relative to ${base.fsPath}`,
      value: suggestion,
      valueSelection: [0, suggestion.indexOf('/')],
      validateInput: async (v) => {
        const p = v.trim();
        if (!/(^|\/)([\w.-]+\.)?gan\.json$/.test(p)) return 'The file must be named gan.json or end in .gan.json';
        if (p.split('/').includes('..') || p.startsWith('/')) return 'Give a path inside the folder';
        return (await exists(vscode.Uri.joinPath(base, p))) ? `${p} already exists` : undefined;
      },
    });
    return rel === undefined ? undefined : vscode.Uri.joinPath(base, rel.trim());
  }
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
