/**
 * `npm run docker:start` starts a Docker engine unless one answers;
 * `npm run docker:stop` stops the one it started, by process id, and no other.
 */
import { ENGINE_LOG, ENGINE_PID_FILE, startEngine, stopEngine } from './engine';

async function main(command: string | undefined): Promise<void> {
  if (command === 'start') {
    const started = await startEngine();
    console.log(started ? `dockerd started (pid file ${ENGINE_PID_FILE}, log ${ENGINE_LOG})` : 'a Docker engine already answers; using it');
  } else if (command === 'stop') {
    console.log((await stopEngine()) ? 'dockerd stopped' : 'no dockerd of ours was running');
  } else {
    console.error('usage: node dist/toolchain/docker/cli.js start|stop');
    process.exit(2);
  }
}

main(process.argv[2]).catch((err: Error) => {
  console.error(`docker: ${err.message}`);
  process.exit(1);
});
