// Which Cc recipients of a new mail may become request participants, and the retention window's edge.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ccCandidates } from '../../../shared/mailIn/participants.js';
import { mailInRetention, receivedTooLongAgo } from '../../../shared/mailIn/retention.js';

const cc = (...addresses: Array<string | undefined>) => addresses.map((address) => ({ emailAddress: address === undefined ? null : { address } }));

describe('mail-in Cc participants', () => {
  it('keeps each address once, lower-cased, in order, without the sender, the own mailbox and blocked domains (and their subdomains)', () => {
    const got = ccCandidates(cc('B@Customer.example', 'a@customer.example', 'b@customer.example', 'Rita@customer.example', 'support@contoso.example', 'x@spam.example', 'y@mail.spam.example', 'z@notspam.example'), {
      sender: 'rita@customer.example',
      ownAddresses: ['Support@Contoso.example'],
      blockedDomains: ['spam.example'],
    });
    assert.deepEqual(got, ['b@customer.example', 'a@customer.example', 'z@notspam.example']);
  });

  it('ignores recipients without a usable address', () => {
    assert.deepEqual(ccCandidates(cc(undefined, '', 'not an address', 'ok@customer.example'), { sender: 's@x.example', ownAddresses: [], blockedDomains: [] }), ['ok@customer.example']);
    assert.deepEqual(ccCandidates(undefined, { sender: 's@x.example', ownAddresses: [], blockedDomains: [] }), []);
  });
});

describe('mail-in retention window', () => {
  const now = new Date('2026-12-04T12:00:00.000Z');
  const daysAgo = (d: number, ms = 0) => new Date(now.getTime() - d * 24 * 3600_000 - ms).toISOString();
  it('accepts mail up to acceptDays old and refuses older mail; a missing date is accepted', () => {
    assert.equal(receivedTooLongAgo(daysAgo(mailInRetention.acceptDays), now), false);
    assert.equal(receivedTooLongAgo(daysAgo(mailInRetention.acceptDays, 1), now), true);
    assert.equal(receivedTooLongAgo(undefined, now), false);
  });
  it('keeps claims longer than mail is accepted, so no accepted mail lost its claim', () => {
    assert.ok(mailInRetention.claimDays > mailInRetention.acceptDays);
  });
});
