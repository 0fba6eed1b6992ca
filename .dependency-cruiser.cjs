// Architecture rules checked in `npm run lint` (STYLE.md): libs never import apps, apps never
// import each other, and no circular imports anywhere.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    { name: 'libs-not-apps', severity: 'error', from: { path: '^libs/' }, to: { path: '^apps/' } },
    {
      name: 'apps-not-each-other',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/([^/]+)/', pathNot: '^apps/$1/' },
    },
    {
      name: 'contracts-no-io',
      comment: 'libs/contracts holds types, schemas and names only: no Kafka, database or HTTP',
      severity: 'error',
      from: { path: '^libs/contracts/' },
      to: { path: 'node_modules/(kafkajs|pg|typeorm|@nestjs|@kafkajs)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: '(^dist/|\\.spec\\.ts$|\\.int-spec\\.ts$)' },
  },
};
