// The sockit command line as a commander program: every command registered, nothing run.
import { Command } from 'commander';
import { nameFlags, packageVersion, type CommandResult, type Runner } from './command.js';
import { registerTcp } from './commands/tcp.js';
import { registerServe } from './commands/serve.js';
import { registerUi } from './commands/ui.js';
import { registerUdp } from './commands/udp.js';
import { registerPort } from './commands/port.js';
import { registerIfaces } from './commands/ifaces.js';
import { registerLoad } from './commands/load.js';
import { registerWs } from './commands/ws.js';
import { registerProxy } from './commands/proxy.js';
import { registerExport } from './commands/export.js';
import { registerRun } from './commands/run.js';
import { registerUp } from './commands/up.js';
import { registerHelp, withExamples } from './help.js';

/**
 * Builds the program. Parsing it runs one command; `onResult` hears its exit code. A command's
 * error rejects the parse, with library fields named as the command's flags.
 */
export function buildProgram(onResult: (code: CommandResult) => void = () => {}): Command {
  const run: Runner = async (body, flags) => {
    try {
      onResult(await body());
    } catch (err) {
      throw flags ? nameFlags(err, flags) : err;
    }
  };
  const program = new Command('sockit')
    .description('Network debugging assistant: TCP/UDP/WebSocket servers and clients, proxy, static web server, browser UI')
    .version(packageVersion(), '-v, --version')
    .option('--debug', 'show stack traces of errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });
  registerTcp(program, run);
  registerServe(program, run);
  registerUi(program, run);
  registerUdp(program, run);
  registerPort(program, run);
  registerIfaces(program, run);
  registerLoad(program, run);
  registerWs(program, run);
  registerProxy(program, run);
  registerExport(program, run);
  registerRun(program, run);
  registerUp(program, run);
  registerHelp(program, run);
  withExamples(program, ['sockit tcp listen 8000 --echo', 'sockit tcp connect 127.0.0.1 8000', 'sockit serve dist -p 0', 'sockit help tcp listen']);
  return program;
}
