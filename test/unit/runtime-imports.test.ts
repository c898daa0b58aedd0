import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runtimeImportProblems, type Manifest } from '../../scripts/runtime-imports';

const ROOT = path.resolve(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest & { dependencies: Record<string, string>; devDependencies: Record<string, string> };

test('every package the production processes load is a dependency', () => {
  expect(runtimeImportProblems(ROOT)).toEqual([]);
});

test('a runtime import moved to devDependencies is named with the file that loads it', () => {
  const { mailparser, ...dependencies } = manifest.dependencies;
  const moved = { dependencies, devDependencies: { ...manifest.devDependencies, mailparser: mailparser as string } };
  expect(runtimeImportProblems(ROOT, moved)).toEqual([
    'activities/reply-sync.ts loads "mailparser" at run time, but mailparser is listed under devDependencies: move it to dependencies',
  ]);
});

describe('on a small project', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'pacer-runtime-imports-'));
    await mkdir(path.join(root, 'api'));
    await mkdir(path.join(root, 'lib'));
    await writeFile(
      path.join(root, 'api', 'main.ts'),
      [
        "import type { Shape } from 'types-only';", // erased by the compiler
        "import { used } from 'value-import';",
        "import { onlyAsType } from 'elided-import';", // used as a type only: erased too
        "import 'node:fs';",
        "import { helper } from '../lib/helper';",
        'export const value: onlyAsType | Shape = used(helper);',
        '',
      ].join('\n'),
    );
    await writeFile(path.join(root, 'lib', 'helper.ts'), "export const helper = require.resolve('resolved-package/sub/file.js');\nexport const later = () => import('@scope/lazy/deep');\n");
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  test('follows local files, require.resolve and dynamic import; ignores type-only imports and built-ins', () => {
    const problems = runtimeImportProblems(root, { dependencies: { 'value-import': '1' }, devDependencies: { '@scope/lazy': '1' } });
    expect(problems).toEqual([
      'lib/helper.ts loads "@scope/lazy/deep" at run time, but @scope/lazy is listed under devDependencies: move it to dependencies',
      'lib/helper.ts loads "resolved-package/sub/file.js" at run time, but resolved-package is not listed in package.json: move it to dependencies',
    ]);
  });
});
