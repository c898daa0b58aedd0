import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];

/** One `no-restricted-imports` rule per zone (a later rule for the same files would replace an earlier one). */
function layerZones(zones) {
  return zones.map(({ files, patterns, noBuiltins = false }) => ({
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          ...(noBuiltins ? { paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow and domain code must stay deterministic: no Node built-ins.' })) } : {}),
          patterns,
        },
      ],
    },
  }));
}

export default tseslint.config(
  { ignores: ['node_modules/', 'generated/', '.data/', 'coverage/', 'jest.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['eslint.config.mjs'] } } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  // Layers point one way: domain/ (pure) ← integrations/ ← activities/ ← workflows/; api/ uses domain,
  // integrations, lib, db and the workflows' contracts, never activities/ or the worker. Each zone
  // lists what its files must not import (a relative path naming another top-level folder).
  ...layerZones([
    {
      files: ['domain/**/*.ts'],
      noBuiltins: true,
      patterns: [{ regex: '^\\.\\./', message: 'domain/ is pure: it imports only domain/.' }],
    },
    {
      files: ['workflows/**/*.ts'],
      noBuiltins: true,
      patterns: [
        { regex: '(^|/)(api|db|lib|scripts|bench|test)(/|$)|(^|/)worker$', message: 'Workflow code imports only domain/, workflows/ and (types of) activities/.' },
        { regex: '(^|/)(activities|integrations)(/|$)', allowTypeImports: true, message: 'Workflow code may import only types from activities/ and integrations/.' },
      ],
    },
    {
      files: ['integrations/**/*.ts'],
      patterns: [{ regex: '(^|/)(activities|workflows|api|db|scripts|bench|test)(/|$)|(^|/)worker$', message: 'integrations/ imports only domain/ and lib/.' }],
    },
    {
      files: ['lib/**/*.ts'],
      patterns: [
        { regex: '(^|/)(activities|workflows|api|db|scripts|bench|test)(/|$)|(^|/)worker$', message: 'lib/ imports only domain/ (and types of integrations/).' },
        { regex: '(^|/)integrations(/|$)', allowTypeImports: true, message: 'lib/ may import only types from integrations/.' },
      ],
    },
    {
      // db/ implements the stores integrations/ define (Prisma-backed) and wires the gateways to them.
      files: ['db/**/*.ts'],
      patterns: [{ regex: '(^|/)(activities|workflows|api|scripts|bench|test)(/|$)|(^|/)worker$', message: 'db/ imports only domain/, lib/ and integrations/.' }],
    },
    {
      files: ['activities/**/*.ts'],
      patterns: [{ regex: '(^|/)(api|workflows|scripts|bench|test)(/|$)|(^|/)worker$', message: 'activities/ never import api/ or workflows/.' }],
    },
    {
      files: ['api/**/*.ts'],
      patterns: [
        { regex: '(^|/)(activities|scripts|bench|test)(/|$)|(^|/)worker$', message: 'The API process must not load activities or the worker.' },
        { regex: '(^|/)workflows/(?!identity-contract$|warmup-contract$|webhook-delivery-contract$)', message: 'api/ imports only the workflows\' contracts (workflows/*-contract), never workflow code.' },
      ],
    },
  ]),
  { files: ['eslint.config.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    // Scripts the pages load in the browser: plain ES2019, no types, browser globals.
    files: ['api/pages/assets/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false, project: false },
      sourceType: 'script',
      globals: { document: 'readonly', window: 'readonly', SwaggerUIBundle: 'readonly' },
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // supertest bodies and Temporal protos are loosely typed; tests assert on them directly.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
