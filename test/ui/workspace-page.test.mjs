// The workspace in Chromium: sockit.json's sessions started with one click, a running session and quick messages saved into it, and a change made on disk never overwritten silently.
import { test } from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir, waitFor } from '../helpers/index.mjs';
import { workspaceStore } from '../../dist/workspace/workspace-file.js';
import { createSession, describeInChromium, openApp, pythonPeer, shot, uiFor } from './chromium.mjs';


describeInChromium('the workspace in the page', (browser) => {

  test('opens sockit.json, starts its session, saves a running one, and says when the file changed on disk', async (t) => {
    const dir = tmpDir(t, 'sockit-ws-page-');
    const file = join(dir, 'sockit.json');
    writeFileSync(file, JSON.stringify({
      owner: 'the lab team',
      sessions: [{ name: 'echo', kind: 'tcp-server', host: '127.0.0.1', port: 0, echo: true, note: 'kept' }, { name: 'wide', kind: 'tcp-server', port: 0 }],
      quick: [{ id: 'ping', label: 'PING', mode: 'text', text: 'PING', eol: 'lf' }],
    }, null, 2));
    const ui = await uiFor(t, { bridge: { workspace: workspaceStore(file) } });
    const page = await openApp(t, browser(), ui.url);
    const panel = page.getByTestId('workspace');
    await panel.getByText('Workspace · sockit.json').waitFor();

    // one click starts the file's session; a python3 client talks to it
    await page.getByTestId('workspace-start-echo').click();
    const state = page.getByTestId('state');
    await state.filter({ hasText: /listening/ }).waitFor();
    await page.locator('.session-title', { hasText: 'echo · TCP server' }).waitFor();
    const port = Number(/port (\d+)/.exec(await state.textContent())[1]);
    const peer = pythonPeer(t, 'tcp_hex_client.py', ['127.0.0.1', port]);
    await peer.waitLine(/^connected$/);
    await page.locator('[data-testid=clients] .client').first().waitFor();
    // the file's quick message goes to the client
    await panel.locator('.ws-quick .quick-item', { hasText: 'PING' }).click();
    await peer.waitLine(/^50 49 4e 47 0a$/, 'PING\\n at the python3 client');

    // a session made in the form, saved into the file under a name
    await createSession(page, 'tcp-server', { host: '127.0.0.1', port: 0, reply: 'ACK!' });
    await page.getByTestId('workspace-name').fill('acker');
    await page.getByTestId('workspace-save-session').click();
    await waitFor(() => /acker/.test(readFileSync(file, 'utf8')), { what: 'acker saved in sockit.json' });
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(saved.owner, 'the lab team', 'unknown fields are kept');
    assert.equal(saved.sessions[0].note, 'kept');
    const acker = saved.sessions.find((s) => s.name === 'acker');
    assert.equal(acker.kind, 'tcp-server');
    assert.equal(acker.reply, 'ACK!');
    await page.getByTestId('workspace-start-acker').waitFor();

    // someone changes the file meanwhile: the next save is refused and says so
    const edited = { ...saved, sessions: [...saved.sessions, { name: 'from-disk', kind: 'udp', host: '127.0.0.1', port: 0 }] };
    writeFileSync(file, JSON.stringify(edited, null, 2));
    await page.getByTestId('workspace-name').fill('acker2');
    await page.getByTestId('workspace-save-session').click();
    const banner = page.getByTestId('workspace-changed');
    await banner.filter({ hasText: 'sockit.json was changed on disk since it was loaded' }).waitFor();
    await shot(page, 'workspace-changed-on-disk');
    const onDisk = JSON.parse(readFileSync(file, 'utf8'));
    assert.ok(onDisk.sessions.some((s) => s.name === 'from-disk'), 'the change on disk is still there');
    assert.ok(!onDisk.sessions.some((s) => s.name === 'acker2'), 'nothing was written over it');

    // reloading shows the file as it is now; the session made on disk can be started
    await banner.getByRole('button', { name: 'Reload from disk' }).click();
    await banner.waitFor({ state: 'detached' });
    await page.getByTestId('workspace-start-from-disk').click();
    await page.locator('.session-title', { hasText: 'from-disk · UDP' }).waitFor();

    // a session on every interface starts only once a person confirms it, as from the form
    await page.getByTestId('workspace-start-wide').click();
    const confirm = page.getByTestId('workspace-confirm');
    await confirm.filter({ hasText: /every interface/ }).waitFor();
    assert.ok(!ui.bridge.hub.list().some((i) => i.name === 'wide'), 'nothing started before the confirmation');
    await confirm.getByRole('button', { name: 'Start wide anyway' }).click();
    await page.locator('.session-title', { hasText: 'wide · TCP server' }).waitFor();
  });
});
