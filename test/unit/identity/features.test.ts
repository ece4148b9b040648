import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bareScopes, featureGraphScopes, featureLicence, featureScopes, graphScopeUris } from '../../../shared/identity/features.js';
import { features } from '../../../shared/features.js';

describe('feature scopes', () => {
  it('each feature asks for the base scopes plus only its own', () => {
    for (const f of features) {
      const scopes = featureGraphScopes(f);
      assert.ok(scopes.includes('User.Read') && scopes.includes('MailboxSettings.Read'), f);
      assert.ok(!scopes.includes('openid') && !scopes.includes('offline_access'), 'OIDC scopes are not Graph permissions');
      for (const other of features.filter((o) => o !== f)) {
        for (const s of featureScopes[other].required) {
          if (!featureScopes[f].required.includes(s) && s !== 'MailboxSettings.Read') assert.ok(!scopes.includes(s), `${f} must not ask for ${other}'s ${s}`);
        }
      }
    }
    assert.ok(featureGraphScopes('chats').includes('ChatMessage.Send'));
  });

  it('graph scope URIs and bare names convert both ways; OIDC scopes stay bare', () => {
    const uris = graphScopeUris(['openid', 'offline_access', 'Chat.Create']);
    assert.deepEqual(uris, ['openid', 'offline_access', 'https://graph.microsoft.com/Chat.Create']);
    assert.deepEqual(bareScopes(uris), ['openid', 'offline_access', 'Chat.Create']);
  });

  it('chat features need Teams, Bookings needs Bookings, mail needs no licence plan', () => {
    assert.equal(featureLicence.chats, 'teams');
    assert.equal(featureLicence['chat-to-jira'], 'teams');
    assert.equal(featureLicence.bookings, 'bookings');
    assert.equal(featureLicence.mail, undefined);
  });
});
