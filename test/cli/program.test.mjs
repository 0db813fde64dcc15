// The program as a module: built without running anything; library refusals named by field, told with the command's flags.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { buildProgram } from '../../dist/cli/program.js';
import { nameFlags } from '../../dist/cli/command.js';
import { UsageError, fieldError, runLoad } from '../../dist/index.js';

test('buildProgram builds every command and runs none', () => {
  const codes = [];
  const program = buildProgram((code) => codes.push(code));
  assert.deepEqual(program.commands.map((c) => c.name()), ['tcp', 'serve', 'ui', 'udp', 'port', 'ifaces', 'load', 'ws', 'proxy', 'export', 'run', 'replay', 'up', 'help']);
  assert.deepEqual(codes, []);
});

test('a UsageError about a field is renamed to the flag that sets it, and only then', () => {
  const err = fieldError('sizeBytes', 'must be from 1 to 16 bytes');
  assert.equal(err.message, 'sizeBytes must be from 1 to 16 bytes');
  assert.equal(err.field, 'sizeBytes');
  const told = nameFlags(err, { sizeBytes: '--size' });
  assert.ok(told instanceof UsageError);
  assert.equal(told.message, '--size must be from 1 to 16 bytes');
  assert.equal(told.exitCode, 2);
  assert.equal(nameFlags(fieldError('join', ": '10.1.2.3' is not a group"), { join: '--join' }).message, "--join: '10.1.2.3' is not a group");
  // not this command's field, or no field at all: as it was
  assert.equal(nameFlags(err, { connections: '--connections' }), err);
  const plain = new UsageError('sizeBytes is mentioned, but not as the subject');
  assert.equal(plain.field, undefined);
  assert.equal(nameFlags(plain, { sizeBytes: '--size' }), plain);
  // a field that does not open the message cannot be renamed, so it is not kept
  assert.equal(new UsageError('the size is wrong', { field: 'sizeBytes' }).field, undefined);
});

test('the library names its fields; the same check, run by the CLI, names the flags', async () => {
  assert.throws(() => runLoad({ host: '127.0.0.1', port: 9, connections: 0 }), { field: 'connections', message: /^connections must/ });
  const refusals = [
    [['load', '127.0.0.1', '9', '-c', 'many'], "--connections must be a whole number from 1 to 20000, got 'many'"],
    [['load', '127.0.0.1', '9', '--size', '32MiB'], "--size must be from 1 to 16777216 bytes, got '32MiB'"],
    [['load', '127.0.0.1', '9', '--expect', '0'], "--expect must be from 1 to 16777216 bytes, got '0'"],
    [['load', '127.0.0.1', '9', '--data', ''], '--data must not be empty'],
    [['load', '127.0.0.1', '9', '--connect-timeout', '0'], "--connect-timeout must be a whole number from 1 to 86400000, got '0'"],
    [['port', 'free', '--range', '20000-20009', '-n', '11'], "--count must be a whole number from 1 to 10, got '11'"],
    [['port', 'free', '--range', '9-1'], "--range: the range '9-1' runs backwards; write 1-9"],
    [['port', 'scan', '127.0.0.1', '22', '--timeout', '0'], "--timeout must be a whole number 1 or more, got '0'"],
    [['port', 'ping', '127.0.0.1', '22', '-i', '-1'], "--interval must be a whole number 0 or more, got '-1'"],
    [['udp', 'send', '127.0.0.1', '9', 'x', '--ttl', '300'], "--ttl must be a whole number from 0 to 255, got '300'"],
    [['udp', 'listen', '0', '--allow', 'nowhere'], "--allow: 'nowhere' is not an IP address or CIDR range such as 10.0.0.0/8 or fd00::/8"],
    [['tcp', 'listen', '0', '--welcome', 'hi \\q'], /^--welcome: unknown escape/],
  ];
  for (const [args, message] of refusals) {
    await assert.rejects(buildProgram().parseAsync(args, { from: 'user' }), { code: 'SOCKIT_ERR_USAGE', message }, args.join(' '));
  }
});
