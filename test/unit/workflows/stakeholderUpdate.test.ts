import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PermanentError } from '../../../shared/errors.js';
import { commentText } from '../../../shared/workflows/stakeholderUpdate.js';

describe('stakeholder update record', () => {
  it('says who was told what, including what did not happen', () => {
    const sent = commentText('All good', { status: 'sent', from: 'desk@x.example', to: ['a@x.example', 'b@x.example'] }, { status: 'ran', value: 'm1' });
    assert.match(sent, /^Stakeholder update/);
    assert.match(sent, /Mail: from desk@x\.example to a@x\.example, b@x\.example, accepted by Microsoft 365/);
    assert.match(sent, /Teams chat: posted/);
    assert.match(sent, /Message:\nAll good$/);

    const failed = commentText('x', { status: 'failed', from: 'desk@x.example', to: ['a@x.example'], error: new PermanentError('no Send As', 'mail_send_as_denied') }, undefined);
    assert.match(failed, /Mail: NOT sent to a@x\.example: no Send As/);
    assert.match(failed, /Teams chat: no chat for the issue/);

    const unknown = commentText('x', { status: 'unknown', from: 'd', to: ['a@x.example'], note: 'lost connection' }, { status: 'unknown', note: 'n' });
    assert.match(unknown, /outcome unknown, not re-sent to avoid a duplicate \(lost connection\)/);
    assert.match(unknown, /Teams chat: outcome unknown, not re-posted/);
    assert.match(commentText('x', { status: 'none' }, undefined), /no stakeholders or recipients/);
  });
});
