// What `import … from 'vscode'` finds outside the extension host (tsconfig.base.json maps it
// here): a module with nothing in it, so that any use of the vscode API in the trainer, the
// webview, protocol, config, analysis or the run directory fails to compile. The host's own
// tsconfig maps 'vscode' back to @types/vscode. The lint also refuses the import itself.
export declare const vscodeIsAvailableOnlyInTheExtensionHost: never;
