// Help as people look for it: every command's --help ends with real examples of that command; `sockit help a b` at any depth.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/index.mjs';
import { buildProgram } from '../../dist/cli/program.js';

/** Every command's path, as words: ['tcp'], ['tcp', 'listen'], … */
function paths(cmd, prefix = []) {
  return cmd.commands.filter((c) => c.name() !== 'help').flatMap((c) => [[...prefix, c.name()], ...paths(c, [...prefix, c.name()])]);
}

test("every command's --help shows two or more examples of that very command", async () => {
  const all = paths(buildProgram());
  assert.ok(all.length >= 18, all.map((p) => p.join(' ')).join(', '));
  // four at a time: twenty node processes at once on a loaded machine only measure the machine
  const queue = [...all];
  await Promise.all([1, 2, 3, 4].map(async () => {
    for (let path = queue.shift(); path; path = queue.shift()) await checkExamples(path);
  }));
});

/** `sockit <path> --help` ends with two or more examples of that very command. */
async function checkExamples(path) {
  const r = await runCli([...path, '--help']);
  assert.equal(r.code, 0, r.stderr);
  const examples = r.stdout.split('\nExamples:\n')[1]?.split('\n').filter((l) => l.startsWith('  $ ')) ?? [];
  assert.ok(examples.length >= 2, `${path.join(' ')}: ${r.stdout}`);
  for (const e of examples) assert.ok(e.includes(`sockit ${path.join(' ')}`), `${path.join(' ')}: ${e}`);
}

test('sockit help tcp listen is the help of tcp listen; an unknown one is a usage error naming what there is', async () => {
  const [viaHelp, viaFlag] = await Promise.all([runCli(['help', 'tcp', 'listen']), runCli(['tcp', 'listen', '--help'])]);
  assert.equal(viaHelp.code, 0, viaHelp.stderr);
  assert.equal(viaHelp.stdout, viaFlag.stdout);
  assert.match(viaHelp.stdout, /^Usage: sockit tcp listen/);
  const top = await runCli(['help']);
  assert.match(top.stdout, /^Usage: sockit /);
  const wrong = await runCli(['help', 'tcp', 'lissen']);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /no command 'tcp lissen'; 'tcp' has listen, connect/);
});

test("--reply's help names its placeholders and escapes", async () => {
  const r = await runCli(['tcp', 'listen', '--help']);
  assert.match(r.stdout.replace(/\s+/g, ' '), /--reply <template> answer each message not matched by a rule: \{data\} the message \(a typed line without its newline\), \{raw\} its bytes, \{peer\} the client, \{n\} its number, .*\\n \\r \\t \\xHH escapes/);
});
