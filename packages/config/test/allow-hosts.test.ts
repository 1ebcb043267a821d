import { describe, expect, it } from 'vitest';
import { problemsOf } from './problems.js';
import { parseConfig } from '../src/index.js';

/** WEBHOOK_ALLOW_HOSTS and SCHEDULE_SOURCE_HOSTS are read once, at start: every bad entry named, with what to write. */

describe('allowed host lists', () => {
  it('take host:port, [v6]:port and :* (every port) entries as written', () => {
    const config = parseConfig({
      NODE_ENV: 'test',
      WEBHOOK_ALLOW_HOSTS: ' hooks.internal:8443, [::1]:8080,10.0.0.0/8,127.0.0.1:*,[::1]:*,10.0.0.0/8:*,*.corp:* ',
    });
    expect(config.webhooks.allowHosts).toEqual([
      'hooks.internal:8443',
      '[::1]:8080',
      '10.0.0.0/8',
      '127.0.0.1:*',
      '[::1]:*',
      '10.0.0.0/8:*',
      '*.corp:*',
    ]);
    expect(parseConfig({ NODE_ENV: 'test', SCHEDULE_SOURCE_HOSTS: 'files.internal:*' }).schedules.sourceHosts).toEqual([
      'files.internal:*',
    ]);
  });

  it('name every bad entry, with what is wrong and the form to use', () => {
    const problems = problemsOf({
      WEBHOOK_ALLOW_HOSTS: 'http://hooks.internal:8080,127.0.0.1:99999,ok.internal,[bad]:1,ok.internal:*,hooks.internal:**',
    });
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/^WEBHOOK_ALLOW_HOSTS=".*": "http:\/\/hooks.internal:8080" is not a host: .*optionally with :port or :\*/);
    expect(problems[1]).toContain('"127.0.0.1:99999" names the port "99999": a port is a number from 1 to 65535, or * for every port.');
    expect(problems[2]).toContain('"[bad]:1": only an IPv6 address or block goes in brackets');
    expect(problems[3]).toContain('"hooks.internal:**" names the port "**": a port is a number from 1 to 65535, or * for every port.');
    expect(problemsOf({ SCHEDULE_SOURCE_HOSTS: 'files.internal:abc' })[0]).toMatch(/^SCHEDULE_SOURCE_HOSTS=.*a port is a number/);
  });
});
