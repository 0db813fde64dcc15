// Help as people look for it: real examples under every command's --help, and `sockit help <command> <subcommand>` at any depth.
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { Runner } from './command.js';

/** Adds an "Examples:" section to a command's help: real command lines, each runnable as written. */
export function withExamples(cmd: Command, examples: readonly string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n`);
}

/** Registers `help [command...]`: `sockit help tcp listen` shows what `sockit tcp listen --help` shows. */
export function registerHelp(program: Command, run: Runner): void {
  program
    .command('help')
    .description('show the help of a command: sockit help tcp listen')
    .argument('[command...]', 'the command, and its subcommand')
    .action((path: string[]) =>
      run(async () => {
        let cmd = program;
        for (const name of path) {
          const next = cmd.commands.find((c) => c.name() === name || c.aliases().includes(name));
          if (!next) {
            const known = cmd.commands.map((c) => c.name()).filter((n) => n !== 'help');
            throw new UsageError(`no command '${[...path.slice(0, path.indexOf(name)), name].join(' ')}'; ${cmd === program ? 'the commands are' : `'${cmd.name()}' has`} ${known.join(', ')}`);
          }
          cmd = next;
        }
        cmd.outputHelp();
        return 0;
      }),
    );
}
