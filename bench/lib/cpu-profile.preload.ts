/**
 * Loaded into a service with `NODE_OPTIONS=--require .../cpu-profile.preload.js` (cpuProfileEnv):
 * SIGUSR2 starts V8's sampling profiler, the next SIGUSR2 writes the profile to
 * $PAYSTREAM_BENCH_PROFILE_DIR/<pid>.cpuprofile (atomically: a temporary file, then a rename).
 * Costs nothing until the first signal. Not exported from bench/lib/index: loading it is the effect.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.PAYSTREAM_BENCH_PROFILE_DIR;
if (dir) {
  let session: Session | undefined;
  process.on('SIGUSR2', () => {
    if (!session) {
      const s = new Session();
      s.connect();
      s.post('Profiler.enable', () => s.post('Profiler.start'));
      session = s;
      return;
    }
    const s = session;
    session = undefined;
    s.post('Profiler.stop', (err, result) => {
      if (!err && result) {
        const file = path.join(dir, `${process.pid}.cpuprofile`);
        writeFileSync(`${file}.tmp`, JSON.stringify(result.profile));
        renameSync(`${file}.tmp`, file);
      }
      s.disconnect();
    });
  });
}
