import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmsClient } from '../../lib/adapters/aws-clients.js';
import { createEndUserMessagingSmsSender } from '../../lib/adapters/sms/end-user-messaging-sms-sender.js';
import { loadConfig } from '../../lib/config.js';
import { startSmsInbox, type SmsInbox } from '../../lib/local/sms-inbox.js';

/** The local SMS inbox, driven by the real SDK client through the real adapter (no mocks). */
describe('local SMS inbox (SendTextMessage over awsJson1_0)', () => {
  let inbox: SmsInbox;
  let client: ReturnType<typeof createSmsClient>;
  beforeAll(async () => {
    inbox = await startSmsInbox();
    client = createSmsClient(loadConfig({ ...process.env, SMS_ENDPOINT: inbox.endpoint }));
  });
  afterAll(async () => {
    client.destroy();
    await inbox.stop();
  });
  const sender = (configurationSet?: string) => createEndUserMessagingSmsSender(client, { originationIdentity: 'pool-123', configurationSet });

  it('stores what the adapter sends: destination, origination identity, TRANSACTIONAL, configuration set; GET /store lists it', async () => {
    await sender('codes').sendText({ to: '+12025550143', body: '123456 is your code' });
    const { texts } = (await (await fetch(`${inbox.endpoint}/store`)).json()) as { texts: Record<string, unknown>[] };
    expect(texts.at(-1)).toMatchObject({ to: '+12025550143', from: 'pool-123', body: '123456 is your code', messageType: 'TRANSACTIONAL', configurationSet: 'codes' });
  });

  it('refuses a destination that is not E.164 as the service does: the SDK throws ValidationException', async () => {
    const error = await sender().sendText({ to: '2025550143', body: 'x' }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('ValidationException');
  });

  it('the inbox page shows texts newest first, HTML-escaped', async () => {
    await sender().sendText({ to: '+12025550144', body: '<script>alert(1)</script> 654321' });
    const page = await (await fetch(`${inbox.endpoint}/`)).text();
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt; 654321');
    expect(page).not.toContain('<script>alert');
    expect(page.indexOf('654321')).toBeLessThan(page.indexOf('123456'));
  });

  it('any other operation is refused, not stored', async () => {
    const response = await fetch(`${inbox.endpoint}/`, { method: 'POST', headers: { 'x-amz-target': 'PinpointSMSVoiceV2.SendVoiceMessage' }, body: '{}' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });

  it('DELETE /store empties it', async () => {
    expect((await fetch(`${inbox.endpoint}/store`, { method: 'DELETE' })).status).toBe(204);
    expect(inbox.texts()).toEqual([]);
  });
});
