import { describe, expect, it } from 'vitest';
import { deviceSummary, signInContextOf } from '../../lib/http/device-summary.js';

const CHROME_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const SAFARI_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0';
const EDGE_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91';

describe('deviceSummary', () => {
  it.each([
    [CHROME_MAC, 'Chrome 120 on macOS'],
    [SAFARI_IPHONE, 'Safari 17 on iOS'],
    [FIREFOX_LINUX, 'Firefox 121 on Linux'],
    [EDGE_WINDOWS, 'Microsoft Edge 120 on Windows'],
  ])('summarises %s as "%s"', (userAgent, summary) => {
    expect(deviceSummary(userAgent)).toBe(summary);
  });

  it.each([[undefined], [null], [''], ['   ']])('says nothing for a missing agent (%j)', (userAgent) => {
    expect(deviceSummary(userAgent)).toBeUndefined();
  });

  it('keeps no client-chosen markup or control characters, and at most 100 characters', () => {
    // Bowser names an unknown browser after the agent's first product token: client-chosen text.
    expect(deviceSummary('Evil<b>\u202eApp/2.0 (Windows NT 10.0)')).toBe('EvilbApp 2 on Windows');
    expect(deviceSummary(`${'A'.repeat(300)}/1.0 (${'B'.repeat(300)})`)?.length ?? 0).toBeLessThanOrEqual(100);
  });

  it('never holds the user agent itself', () => {
    expect(deviceSummary(CHROME_MAC)).not.toContain('AppleWebKit');
  });
});

describe('signInContextOf', () => {
  it('adds the summary of API Gateway\'s identity.userAgent, or of the User-Agent header, to the request context', () => {
    expect(signInContextOf({ requestContext: { requestId: 'r1', identity: { sourceIp: '203.0.113.9', userAgent: FIREFOX_LINUX } } }))
      .toEqual({ requestId: 'r1', sourceIp: '203.0.113.9', device: 'Firefox 121 on Linux' });
    expect(signInContextOf({ headers: { 'user-agent': CHROME_MAC } })).toEqual({ device: 'Chrome 120 on macOS' });
    expect(signInContextOf({ headers: {} })).toEqual({});
  });
});
