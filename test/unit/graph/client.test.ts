// Graph error answers are classified once, at the client (issue 12 item 6): a 4xx is permanent except 401 (the
// token, decided after a refresh), 408 and 429 (try again); 5xx other than 503/504 (which are ThrottledError) is
// transient.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphRequestError } from '../../../shared/graph/client.js';

const error = (status: number) => new GraphRequestError(status, 'X', 'm', 'POST', '/chats');

describe('GraphRequestError classification', () => {
  it('400, 403, 404, 409, 410, 412 and 413 are permanent: the same request would be refused again', () => {
    for (const status of [400, 403, 404, 409, 410, 412, 413]) assert.equal(error(status).permanent, true, String(status));
  });

  it('401 is not permanent but unauthenticated; 408, 500 and 502 are transient', () => {
    assert.equal(error(401).permanent, false);
    assert.equal(error(401).unauthenticated, true);
    for (const status of [408, 500, 502]) {
      assert.equal(error(status).permanent, false, String(status));
      assert.equal(error(status).unauthenticated, false);
    }
  });
});
