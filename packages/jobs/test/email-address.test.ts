import { describe, expect, it } from 'vitest';
import { DomainError, emailInputPattern, mailboxOf, parseEmail } from '../src/index.js';

/**
 * Which addresses batchcast sends to: the one rule (parseEmail) every way in uses, and the same rule as the
 * pattern of the pages' email fields, compiled as browsers compile it (the `v` flag, anchored).
 */
const reachable = ['bob@example.com', 'Bob.Smith+jobs@mail.example.co.uk', 'x@xn--bcher-kva.xn--p1ai', 'a@b.io'];
const unreachable = ['bob@example', 'bob@localhost', 'bob@corp', 'bob@10.0.0.1', 'bob@example.c0m', 'bob@example.c'];

const refusal = (raw: string, local: string[] = []): DomainError => {
  try {
    parseEmail(raw, local);
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error(`${raw} was accepted`);
};
const patternAccepts = (raw: string, local: string[] = []) => new RegExp(`^(?:${emailInputPattern(local)})$`, 'v').test(raw);

describe('email addresses', () => {
  it('accepts addresses at a domain mail on the internet reaches', () => {
    for (const a of reachable) {
      expect(parseEmail(` ${a} `), a).toBe(a);
      expect(patternAccepts(a), a).toBe(true);
    }
    expect(parseEmail('')).toBeNull();
    expect(parseEmail(undefined)).toBeNull();
  });

  it('refuses a domain without a dot and a top-level domain, naming the field and saying what to give', () => {
    for (const a of unreachable) {
      const err = refusal(a);
      expect(err.code, a).toBe('invalid_email');
      expect(err.details, a).toEqual({ field: 'email' });
      expect(patternAccepts(a), a).toBe(false);
    }
    expect(refusal('bob@example').message).toBe(
      '"email": "bob@example" is not an e-mail address we can send to: its domain "example" is not one mail on the internet can reach (it needs a dot and a top-level domain, as in name@example.com). Give the full address.',
    );
    expect(refusal('not an address\r\nBcc: x@y.z').message).toBe(
      '"email": "not an address\r\nBcc: x@y.z" is not an e-mail address we can send to.',
    );
  });

  it('accepts the local domains the operator lists (MAIL_LOCAL_DOMAINS), in any case, and only those', () => {
    const local = ['corp', 'localhost', 'mail-hub'];
    for (const a of ['bob@corp', 'Bob@CORP', 'root@localhost', 'ops@mail-hub']) {
      expect(parseEmail(a, local), a).toBe(a);
      expect(patternAccepts(a, local), a).toBe(true);
    }
    for (const a of ['bob@example', 'bob@corpx', 'bob@xcorp']) {
      expect(refusal(a, local).code, a).toBe('invalid_email');
      expect(patternAccepts(a, local), a).toBe(false);
    }
  });

  it('takes an internationalised domain in its ASCII form, the form mail servers and browsers use', () => {
    expect(parseEmail('anna@bücher.de')).toBe('anna@xn--bcher-kva.de');
    expect(parseEmail(' Anna@Bücher.Example.рф ')).toBe('Anna@xn--bcher-kva.example.xn--p1ai');
    expect(parseEmail('anna@xn--bcher-kva.de')).toBe('anna@xn--bcher-kva.de');
    // The same mailbox however the domain was spelt: "email me my links" finds the jobs either way.
    expect(mailboxOf(parseEmail('anna@BÜCHER.de')!)).toBe(mailboxOf(parseEmail('anna@xn--bcher-kva.de')!));
    expect(refusal('anna@bücher').message).toBe(
      '"email": "anna@bücher" is not an e-mail address we can send to: its domain "xn--bcher-kva" is not one mail on the internet can reach (it needs a dot and a top-level domain, as in name@example.com). Give the full address.',
    );
    expect(refusal('anna@bü cher.de').message).toBe('"email": "anna@bü cher.de" is not an e-mail address we can send to.');
  });

  it('refuses a mailbox name outside ASCII, saying so', () => {
    const err = refusal('jürgen@example.com');
    expect(err.code).toBe('invalid_email');
    expect(err.details).toEqual({ field: 'email' });
    expect(err.message).toBe(
      '"email": "jürgen@example.com" has characters outside ASCII before its "@": batchcast sends mail to ASCII mailbox names only (many mail servers refuse others). Give an ASCII address for the same mailbox.',
    );
  });

  it('names the mailbox an address reaches, for the limits per address', () => {
    expect(mailboxOf('Bob.Smith+jobs@Mail.Example.co.uk')).toBe('bob.smith@mail.example.co.uk');
    expect(mailboxOf('bob+a+b@example.com')).toBe('bob@example.com');
    expect(mailboxOf('bob@example.com')).toBe('bob@example.com');
    expect(mailboxOf('bob-plus@example.com')).toBe('bob-plus@example.com');
  });
});
