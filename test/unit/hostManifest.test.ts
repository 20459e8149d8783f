/**
 * The contributions in package.json against the code: every command exists on both sides with
 * the titles people search for, menus name real commands and context keys the host sets,
 * activation never uses "*", and the templates New GAN Experiment… writes are valid configs.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { validateConfigText } from '../../src/config/validateConfig';
import { repoRoot } from '../helpers/root';

const root = repoRoot();
interface Manifest {
  main: string;
  icon: string;
  activationEvents: string[];
  capabilities: { untrustedWorkspaces: { supported: string | boolean; restrictedConfigurations?: string[] } };
  contributes: {
    commands: { command: string; title: string; category?: string; icon?: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    jsonValidation: { fileMatch: string[]; url: string }[];
    viewsContainers: { activitybar: { id: string; icon: string; title: string }[] };
    views: Record<string, { id: string; type?: string; name: string }[]>;
    configuration: { properties: Record<string, { default: unknown }> };
  };
}
const rawManifest = readFileSync(join(root, 'package.json'), 'utf8');
const nls = JSON.parse(readFileSync(join(root, 'package.nls.json'), 'utf8')) as Record<string, string>;
/** The manifest as VS Code shows it in English: each "%key%" replaced from package.nls.json. */
function localise(value: unknown): unknown {
  if (typeof value === 'string') {
    const m = /^%([^%]+)%$/.exec(value);
    return m ? nls[m[1]] : value;
  }
  if (Array.isArray(value)) return value.map(localise);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, localise(v)]));
  return value;
}
const pkg = localise(JSON.parse(rawManifest)) as Manifest;
const c = pkg.contributes;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [readFileSync(join(dir, e.name), 'utf8')] : [],
  );
}
const hostSource = sources(join(root, 'src/host')).join('\n');

describe('package.json contributions', () => {
  it('has the commands of the issue, with these exact titles, in category "GAN"', () => {
    const titles = Object.fromEntries(c.commands.map((x) => [x.command, x.title]));
    assert.deepEqual(
      ['ganStudio.train', 'ganStudio.stop', 'ganStudio.resume', 'ganStudio.openDashboard', 'ganStudio.openRun', 'ganStudio.compareRuns', 'ganStudio.sample', 'ganStudio.exportGenerator', 'ganStudio.newExperiment', 'ganStudio.showLog', 'ganStudio.openTensorBoard', 'ganStudio.installNativeBackend'].map((id) => titles[id]),
      ['Train GAN', 'Stop Training', 'Resume Run…', 'Open Dashboard', 'Open Run…', 'Compare Runs…', 'Sample from Run…', 'Export Generator…', 'New GAN Experiment…', 'Show Trainer Log', 'Open in TensorBoard', 'Install Native TensorFlow Backend'],
    );
    for (const cmd of c.commands) assert.equal(cmd.category, 'GAN', cmd.command);
  });

  it('contributes exactly the commands the code implements', () => {
    // A class per command (`readonly id = '…'`), or a table of them (gameCommands.ts: `id: '…'`).
    const implemented = [...hostSource.matchAll(/readonly id = '([^']+)'|\bid: '(ganStudio\.[^']+)'/g)].map((m) => m[1] ?? m[2]).sort();
    assert.deepEqual(c.commands.map((x) => x.command).sort(), implemented);
  });

  it('has menus that name contributed commands and context keys the host sets', () => {
    const ids = new Set(c.commands.map((x) => x.command));
    const setKeys = new Set([...hostSource.matchAll(/'setContext', '([^']+)'/g)].map((m) => m[1]));
    for (const [menu, items] of Object.entries(c.menus)) {
      for (const item of items) {
        assert.ok(ids.has(item.command), `${menu}: ${item.command} is not a contributed command`);
        for (const key of item.when?.replace(/view == [\w.]+/g, '').match(/\bganStudio\.[A-Za-z.]+/g) ?? []) assert.ok(setKeys.has(key), `${menu}: context key ${key} is never set`);
        // Icons are needed wherever a command shows as a button.
        if (menu === 'editor/title' || menu === 'view/title' || (item as { group?: string }).group?.startsWith('inline')) {
          assert.ok(c.commands.find((x) => x.command === item.command)?.icon, `${item.command} needs an icon in ${menu}`);
        }
      }
    }
    const inPalette = new Map(c.menus.commandPalette.map((m) => [m.command, m.when]));
    assert.equal(inPalette.has('ganStudio.train'), false, 'Train GAN is always in the palette');
    assert.equal(inPalette.get('ganStudio.stop'), 'ganStudio.isTraining');
  });

  it('activates on gan.json, views and restored panels, never on "*"', () => {
    const ev = pkg.activationEvents;
    assert.ok(!ev.includes('*'));
    assert.ok(!ev.includes('onStartupFinished'));
    assert.ok(ev.includes('workspaceContains:**/gan.json'));
    for (const viewType of [...hostSource.matchAll(/_VIEW_TYPE = '([^']+)'/g)].map((m) => m[1])) assert.ok(ev.includes(`onWebviewPanel:${viewType}`), viewType);
    for (const views of Object.values(c.views)) for (const v of views) assert.ok(ev.includes(`onView:${v.id}`), v.id);
  });

  it('validates gan.json and *.gan.json with the project schema', () => {
    assert.deepEqual(c.jsonValidation[0].fileMatch, ['gan.json', '*.gan.json']);
    assert.ok(existsSync(join(root, c.jsonValidation[0].url)));
  });

  it('declares limited support for untrusted workspaces and restricts the risky settings', () => {
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.deepEqual(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations?.sort(), [
      'ganStudio.data.allowOutsideWorkspace',
      'ganStudio.runsDir',
      'ganStudio.slurm.extraArgs',
      'ganStudio.slurm.partition',
      'ganStudio.tensorboard.path',
      'ganStudio.trainer.nodePath',
      'ganStudio.trainer.npmPath',
    ]);
    assert.match(hostSource, /workspace\.isTrusted/);
  });

  it('has the settings of the issue with their defaults', () => {
    const p = c.configuration.properties;
    assert.equal(p['ganStudio.runsDir'].default, '.gan/runs');
    assert.equal(p['ganStudio.backend'].default, 'auto');
    assert.equal(p['ganStudio.trainer.nodePath'].default, '');
    assert.equal(p['ganStudio.maxConcurrentTrainings'].default, 2);
    assert.equal(p['ganStudio.openDashboardOnTrain'].default, true);
    for (const key of Object.keys(p)) assert.match(hostSource, new RegExp(`'${key.replace('ganStudio.', '')}'`), `${key} is read somewhere`);
  });

  it('has the activity-bar container with the Samples webview and the Runs tree, and icons that exist', () => {
    assert.deepEqual(c.viewsContainers.activitybar.map((v) => v.title), ['GAN Studio']);
    const views = c.views[c.viewsContainers.activitybar[0].id];
    assert.deepEqual(views.map((v) => [v.id, v.name, v.type ?? 'tree']), [['ganStudio.samples', 'Samples', 'webview'], ['ganStudio.runs', 'Runs', 'tree']]);
    assert.ok(existsSync(join(root, c.viewsContainers.activitybar[0].icon)));
    assert.ok(existsSync(join(root, pkg.icon)));
  });
});

describe('package.nls.json', () => {
  it('holds every string the manifest names, and no stale ones', () => {
    const used = new Set([...rawManifest.matchAll(/"%([^%"]+)%"/g)].map((m) => m[1]));
    for (const key of used) assert.equal(typeof nls[key], 'string', `package.nls.json lacks ${key}`);
    assert.deepEqual(Object.keys(nls).filter((k) => !used.has(k)), []);
  });

  it('leaves no user-visible manifest string unlocalised', () => {
    const raw = JSON.parse(rawManifest) as Manifest & { displayName: string; description: string; contributes: { walkthroughs: { title: string; steps: { title: string; description: string }[] }[] } };
    const visible = [
      raw.displayName,
      raw.description,
      ...raw.contributes.commands.flatMap((x) => [x.title, x.category ?? '%%']),
      ...Object.values(raw.contributes.views).flatMap((vs) => vs.map((v) => v.name)),
      ...Object.values(raw.contributes.configuration.properties).map((p) => (p as { markdownDescription?: string; description?: string }).markdownDescription ?? (p as { description?: string }).description ?? '%%'),
      ...raw.contributes.walkthroughs.flatMap((w) => [w.title, ...w.steps.flatMap((st) => [st.title, st.description])]),
    ];
    for (const text of visible) assert.match(text, /^%[^%]+%$/, text);
  });

  it('ships in the VSIX beside package.json', () => {
    assert.match(readFileSync(join(root, '.vscodeignore'), 'utf8'), /^!package\.nls\.json$/m);
  });
});

describe('keybindings and the walkthrough', () => {
  const raw = pkg as unknown as {
    contributes: {
      keybindings: { command: string; key: string; mac?: string; when: string }[];
      walkthroughs: { id: string; steps: { id: string; description: string; media: { image?: string; markdown?: string }; completionEvents?: string[] }[] }[];
      commands: { command: string }[];
    };
  };
  const ids = new Set(raw.contributes.commands.map((x) => x.command));
  const shipped = readFileSync(join(root, '.vscodeignore'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('!'))
    .map((l) => new RegExp(`^${l.slice(1).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '.+').replace(/\*/g, '[^/]+')}$`));

  it('binds Train and Stop only while a gan.json is the active editor, each to a contributed command', () => {
    const keys = Object.fromEntries(raw.contributes.keybindings.map((k) => [k.command, k]));
    for (const id of ['ganStudio.train', 'ganStudio.stop']) {
      assert.ok(keys[id], `${id} has a key`);
      assert.match(keys[id].when, /resourceFilename == gan\.json/);
      assert.ok(keys[id].mac, `${id} has a mac key`);
    }
    assert.match(keys['ganStudio.train'].when, /!\(resourcePath in ganStudio\.trainingConfigs\)/);
    assert.match(keys['ganStudio.stop'].when, /[^!(]resourcePath in ganStudio\.trainingConfigs/);
    for (const k of raw.contributes.keybindings) assert.ok(ids.has(k.command), k.command);
  });

  it('walks through new experiment, train, dashboard and compare, with media that exist and ship', () => {
    const steps = raw.contributes.walkthroughs[0].steps;
    assert.deepEqual(steps.slice(0, 4).map((st) => st.id), ['newExperiment', 'train', 'dashboard', 'compare']);
    for (const st of steps) {
      const media = st.media.image ?? st.media.markdown ?? '';
      assert.ok(existsSync(join(root, media)), `${st.id}: ${media} exists`);
      assert.ok(shipped.some((re) => re.test(media)), `${st.id}: ${media} is in the VSIX (.vscodeignore)`);
      for (const m of st.description.matchAll(/\(command:([\w.]+)\)/g)) assert.ok(ids.has(m[1]), `${st.id} links ${m[1]}`);
      for (const e of st.completionEvents ?? []) assert.ok(ids.has(e.replace('onCommand:', '')), e);
    }
  });
});

describe('experiment templates', () => {
  const listed = [...hostSource.matchAll(/file: '([^']+\.json)'/g)].map((m) => m[1]);

  it('lists ring, grid, MNIST and an image folder, each a file in templates/', () => {
    assert.deepEqual(listed, ['ring.json', 'grid.json', 'mnist.json', 'imageFolder.json']);
    for (const f of listed) assert.ok(existsSync(join(root, 'templates', f)), f);
  });

  it('writes configs that pass the same validation as Train GAN', () => {
    for (const f of listed) {
      const text = readFileSync(join(root, 'templates', f), 'utf8');
      const { problems } = validateConfigText(text, { fileExists: () => 'directory' });
      assert.deepEqual(problems, [], f);
    }
  });
});
