/**
 * Which packages the production processes load, read from the code itself: starting from what a
 * production install runs, every module is compiled as tsx runs it (import elision included, so
 * type-only imports are not counted), and every `require("…")` / `require.resolve("…")` of the
 * output is followed. A package loaded at run time must be in `dependencies`: `npm ci --omit=dev`
 * (the Dockerfile) leaves devDependencies out, and the process then fails with "Cannot find module".
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

/** What `npm ci --omit=dev` must serve: the API, the worker, migrations (and the Prisma CLI's config), npm start, npm run temporal. */
export const PRODUCTION_ENTRY_POINTS = ['api/main.ts', 'worker.ts', 'scripts/migrate.ts', 'prisma.config.ts', 'scripts/start.ts', 'scripts/temporal-cli.ts'];

export interface Manifest {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const BUILTINS = new Set(builtinModules);
const LOADED = /\brequire(?:\.resolve)?\(\s*(["'])([^"']+)\1/g;

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

function isBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || BUILTINS.has(specifier) || BUILTINS.has(specifier.split('/')[0] ?? '');
}

function resolveLocal(fromFile: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(fromFile), specifier);
  const candidates = [base, `${base}.ts`, `${base}.js`, `${base}.json`, path.join(base, 'index.ts'), path.join(base, 'index.js')];
  return candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
}

/** Specifiers the compiled module loads at run time. */
function loadedSpecifiers(file: string): string[] {
  if (!/\.[cm]?[jt]s$/.test(file)) return [];
  const output = ts.transpileModule(readFileSync(file, 'utf8'), {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, isolatedModules: true },
  }).outputText;
  return [...output.matchAll(LOADED)].map((match) => match[2] ?? '');
}

/** One line per runtime import of a package that `dependencies` lacks, naming the file that loads it. */
export function runtimeImportProblems(root: string, manifest: Manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest): string[] {
  const dependencies = new Set(Object.keys(manifest.dependencies ?? {}));
  const devDependencies = new Set(Object.keys(manifest.devDependencies ?? {}));
  const problems = new Set<string>();
  const seen = new Set<string>();
  const queue = PRODUCTION_ENTRY_POINTS.map((entry) => path.join(root, entry)).filter((file) => existsSync(file));
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of loadedSpecifiers(file)) {
      if (specifier.startsWith('.')) {
        const local = resolveLocal(file, specifier);
        if (local) queue.push(local);
        continue;
      }
      if (isBuiltin(specifier)) continue;
      const name = packageOf(specifier);
      if (dependencies.has(name)) continue;
      const where = devDependencies.has(name) ? 'listed under devDependencies' : 'not listed in package.json';
      problems.add(`${path.relative(root, file)} loads "${specifier}" at run time, but ${name} is ${where}: move it to dependencies`);
    }
  }
  return [...problems].sort();
}
