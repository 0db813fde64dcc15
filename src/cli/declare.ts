// How a command is declared, once for all of them: its name, what it does and its arguments; then its examples and the action that reads its options.
import type { Command, OptionValues } from 'commander';
import { RawOptions } from './command.js';
import { withExamples } from './help.js';

/** A subcommand of `parent`: its name, what it does, and its arguments (`<required>` or `[optional]`, each with its help). */
export function subcommand(parent: Command, name: string, description: string, ...args: (readonly [string, string])[]): Command {
  const cmd = parent.command(name).description(description);
  for (const [arg, help] of args) cmd.argument(arg, help);
  return cmd;
}

/**
 * Ends a command's declaration: two or three real examples in its help, and the action, given
 * the command's arguments and then its options to read by type.
 */
export function declared<A extends unknown[]>(cmd: Command, examples: readonly string[], action: (...args: [...A, RawOptions]) => Promise<void>): Command {
  withExamples(cmd, examples);
  return cmd.action((...values: unknown[]) => {
    const n = cmd.registeredArguments.length;
    return action(...([...values.slice(0, n), new RawOptions(values[n] as OptionValues)] as [...A, RawOptions]));
  });
}
