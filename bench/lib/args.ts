export interface BenchArgs {
  /** Where to write the result JSON (bench/run.mjs passes a temporary file); stdout when absent. */
  json?: string;
  /** Small sizes: a few seconds per scenario, for `npm run bench -- --quick` and smoke runs. */
  quick: boolean;
}

export function parseArgs(argv: readonly string[] = process.argv.slice(2)): BenchArgs {
  const args: BenchArgs = { quick: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--json') {
      const file = argv[++i];
      if (!file) throw new Error('--json needs a file name');
      args.json = file;
    } else if (a.startsWith('--json=')) args.json = a.slice('--json='.length);
    else throw new Error(`unknown argument: ${a} (expected --json <file> and/or --quick)`);
  }
  return args;
}
