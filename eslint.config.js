// Lint TypeScript sources with the recommended rules; type-checking itself is `tsc --noEmit` in `npm run check`.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.local/**', '.azurite/**', 'bench-results/**', '.deploy/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // One logging path for app code (shared/log.ts): lines written with console bypass the invocation's logger, so
    // Application Insights cannot link them to the request or queue message, and they skip the redaction.
    files: ['shared/**/*.ts', 'functions/**/*.ts'],
    ignores: ['shared/log.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // Tests read JSON answers of the app and the fakes; typing every one would add noise, not safety.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The console's screens show the admin API's JSON answers; the API (shared/) owns their types and checks.
    files: ['console/**/*.ts', 'console/**/*.tsx'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
