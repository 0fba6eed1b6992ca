// Three tiers (STYLE.md): unit specs next to the code need no I/O; integration specs talk to the
// real broker, registry and PostgreSQL; e2e specs in test/ run the apps as processes.
const swc = ['@swc/jest', { ...require('./swcrc.json') }];

const moduleNameMapper = {
  '^@paystream/(contracts|messaging|money|persistence|observability|platform|testing)$': '<rootDir>/libs/$1/src',
  '^@paystream/(contracts|messaging|money|persistence|observability|platform|testing)/(.*)$':
    '<rootDir>/libs/$1/src/$2',
};

const common = { rootDir: __dirname, transform: { '^.+\\.ts$': swc }, moduleNameMapper, testEnvironment: 'node' };

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs}/**/*.int-spec.ts'],
      slowTestThreshold: 60,
    },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'], slowTestThreshold: 120 },
  ],
};
