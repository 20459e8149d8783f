/** Which files are GAN Studio experiments: `gan.json` and `*.gan.json`, as in jsonValidation. */
import { fileKindAt } from '../../runDir/fileKinds';
import { basename, dirname, resolve } from 'node:path';
import type * as vscode from 'vscode';
import type { ValidateOptions } from '../../config/validateConfig';

export const GAN_CONFIG_GLOB = '**/{gan.json,*.gan.json}';
/** Never offer configs from dependencies or from run directories (which hold config.json anyway). */
export const GAN_CONFIG_EXCLUDE = '**/{node_modules,.git,.gan,dist,out}/**';

export const GAN_CONFIG_SELECTOR: vscode.DocumentSelector = [
  { language: 'json', pattern: '**/gan.json' },
  { language: 'json', pattern: '**/*.gan.json' },
  { language: 'jsonc', pattern: '**/gan.json' },
  { language: 'jsonc', pattern: '**/*.gan.json' },
];

export function isGanConfigPath(path: string): boolean {
  const name = basename(path).toLowerCase();
  return name === 'gan.json' || name.endsWith('.gan.json');
}

export function isGanConfigDocument(doc: vscode.TextDocument): boolean {
  return (doc.uri.scheme === 'file' || doc.uri.scheme === 'untitled') && isGanConfigPath(doc.uri.path);
}

/** The file checks of validateConfigText, relative to the config file like the trainer does. */
export function fileChecksFor(uri: vscode.Uri): ValidateOptions {
  if (uri.scheme !== 'file') return {};
  const base = dirname(uri.fsPath);
  return {
    // What the trainer would find there, FIFOs, devices, loops and dangling links included.
    fileExists: (relativePath) => fileKindAt(resolve(base, relativePath)),
  };
}
