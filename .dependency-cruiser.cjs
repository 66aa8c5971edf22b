/**
 * The dependency rules of src/ (docs/architecture.md): no import cycles between files or between
 * folders, and production code never reaches into tests, the bench or the generated client.
 * Run by `npm run lint:deps` (and so by .ci/run).
 */
module.exports = {
  forbidden: [
    {
      name: 'no-file-cycles',
      severity: 'error',
      comment: 'Two files that import each other, directly or through others.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycles',
      severity: 'error',
      comment: 'Folders depend downwards only: a folder cycle means the layering is broken.',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'development-module-stays-apart',
      severity: 'error',
      comment: 'Production never loads src/dev (simulators, development page); only app.module.ts may name it.',
      from: { path: '^src/', pathNot: '^src/(dev/|app[.]module[.]ts$)' },
      to: { path: '^src/dev/' },
    },
    {
      name: 'src-not-to-tests-or-tools',
      severity: 'error',
      comment: 'The service never imports tests, the bench or the generated client.',
      from: { path: '^src/' },
      to: { path: '^(test|bench|clients)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
