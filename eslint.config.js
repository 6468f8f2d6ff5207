// One preset plus the rules that matter for a daemon; see reference/aesthetics.md lesson 15.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noDockerode = { name: 'dockerode', message: 'Only agent/docker/ talks to dockerode.' };
const noAgent = {
  group: ['**/agent/**'],
  message: 'Only agent/ imports agent/: share through shared/.',
};
const noController = {
  group: ['**/controller/**'],
  message: 'Only controller/ imports controller/: share through shared/.',
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'coverage/**',
      'bin/**',
      'test/fixtures/**/*.js',
      'eslint.config.js',
      '.berth-demo/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'max-lines': ['warn', { max: 300, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['agent/**/*.ts'],
    ignores: ['agent/docker/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [noDockerode], patterns: [noController] }],
    },
  },
  {
    files: ['agent/docker/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noController] }] },
  },
  {
    files: ['controller/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noDockerode], patterns: [noAgent] }] },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [noDockerode], patterns: [noAgent, noController] },
      ],
    },
  },
);
