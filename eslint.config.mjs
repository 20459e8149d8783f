// ESLint with typescript-eslint's type-checked rules, and the import boundaries of the areas:
// a file's folder says where it runs and what it may import (README, "Layout"). Each area is also
// type-checked with only the globals it has (scripts/typecheck.mjs); these rules catch what types
// cannot: an import from a folder the area must not depend on.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = { regex: `^(node:.*|${builtinModules.filter((m) => !m.startsWith('_')).join('|')})(/.*)?$`, message: 'this area runs without Node (see the README, "Layout")' };
const noVscode = { regex: '^vscode$', message: 'only the extension host (src/host) may import vscode' };
const noTfjs = { regex: '^@tensorflow/', message: 'only the trainer (src/trainer) may import tfjs; the host forks it' };
const up = (folder, message) => ({ regex: `^(\\.\\./)+${folder}(/|$)`, message });

/** Per area: what its imports may not name. */
const boundaries = [
  {
    files: ['src/config/**/*.ts'],
    patterns: [nodeBuiltins, noVscode, noTfjs, { regex: '^\\.\\./', message: 'config is the bottom of the stack: it imports nothing of the project but itself' }],
  },
  {
    files: ['src/protocol/**/*.ts'],
    patterns: [nodeBuiltins, noVscode, noTfjs, { regex: '^\\.\\./(?!config/)', message: 'protocol imports nothing of the project but itself and, as types, src/config' }],
    typeOnly: [{ regex: '^\\.\\./config/', message: 'protocol may import src/config as types only' }],
  },
  {
    files: ['src/analysis/**/*.ts'],
    patterns: [nodeBuiltins, noVscode, noTfjs, { regex: '^\\.\\./(?!config/|protocol/)', message: 'analysis is pure code over protocol and config' }],
  },
  {
    files: ['src/runDir/**/*.ts'],
    patterns: [noVscode, noTfjs, { regex: '^\\.\\./(?!config/|protocol/|analysis/)', message: 'the run directory module depends on protocol, config and analysis only' }],
  },
  {
    // Its subfolders (tensorboard/): the same boundary one level down; this entry comes later, so it wins there.
    files: ['src/runDir/*/**/*.ts'],
    patterns: [noVscode, noTfjs, { regex: '^\\.\\./\\.\\./(?!config/|protocol/|analysis/)', message: 'the run directory module depends on protocol, config and analysis only' }],
  },
  {
    files: ['src/trainer/**/*.ts'],
    patterns: [noVscode, up('host', 'the trainer never imports the extension host')],
  },
  {
    files: ['src/host/**/*.ts'],
    patterns: [noTfjs, up('trainer', 'the host forks the trainer bundle and never imports it')],
  },
  {
    files: ['webview/**/*.ts'],
    ignores: ['webview/shared/controls.ts'],
    patterns: [
      nodeBuiltins,
      noVscode,
      noTfjs,
      up('src/(host|trainer|runDir)', 'the webview may import src/protocol, src/config and src/analysis only'),
      // Deprecated upstream (its repository is archived): one file wraps it, so that it can be replaced.
      { regex: '^@vscode/webview-ui-toolkit', message: 'only webview/shared/controls.ts imports the toolkit; use its controls' },
    ],
  },
  {
    files: ['webview/shared/controls.ts'],
    patterns: [nodeBuiltins, noVscode, noTfjs, up('src/(host|trainer|runDir)', 'the webview may import src/protocol, src/config and src/analysis only')],
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.test-artifacts/**', '.scratch/**', 'src/config/ganSchema.ts'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      // An interface that extends a schema's inferred type gives it a name in errors and hovers.
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Arrays print as "1,2,3": good enough for messages, and shapes are arrays.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowArray: true }],
      // node:test's test/describe/it return promises that the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] }],
    },
  },
  {
    // Browser tests hand functions to page.evaluate that run in the page, where the DOM and the
    // page's own globals are untyped from the test's side; their values come back as `any`.
    files: ['test/e2e/**/*.ts', 'test/webview/**/*.ts', 'test/electron/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', window: 'readonly', requestAnimationFrame: 'readonly', performance: 'readonly' } },
  },
  ...boundaries.map(({ files, ignores, patterns, typeOnly }) => ({
    files,
    ...(ignores ? { ignores } : {}),
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [...patterns.map((p) => ({ regex: p.regex, message: p.message })), ...(typeOnly ?? []).map((p) => ({ ...p, allowTypeImports: true }))] },
      ],
    },
  })),
);
