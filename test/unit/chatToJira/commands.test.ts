// shared/chatToJira/commands.ts: a Teams message as the plain text a Jira comment gets, and the command at its start.
// Message bodies here are in the form Graph delivers them (chatMessage body.contentType "html", Teams markup).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attribution, isFromTeams, maxCommentChars, messageText, parseCommand, teamsMarker, truncate } from '../../../shared/chatToJira/commands.js';

describe('messageText', () => {
  it('drops tags, keeps mentions as the names people saw, and turns block ends into line breaks', () => {
    const content = '<p><at id="0">Ada Lovelace</at> please look</p><p>line <b>two</b><br>line three</p><ul><li>a</li><li>b</li></ul>';
    assert.equal(messageText({ contentType: 'html', content }), 'Ada Lovelace please look\nline two\nline three\na\nb');
  });

  it('decodes entities once: escaped markup stays text and is never decoded into a tag', () => {
    assert.equal(messageText({ contentType: 'html', content: '<p>&lt;script&gt;x&lt;/script&gt; &amp;lt; &quot;q&quot; &#39;s&#39; &#x1F525; &nbsp;</p>' }), '<script>x</script> &lt; "q" \'s\' 🔥');
  });

  it('leaves an entity that would be a control character, a surrogate or out of range as written', () => {
    assert.equal(messageText({ contentType: 'html', content: 'a&#0;b&#x7;c&#xD800;d&#x110000;e&bogus;' }), 'a&#0;b&#x7;c&#xD800;d&#x110000;e&bogus;');
    assert.equal(messageText({ contentType: 'html', content: 'a&#10;b' }), 'a\nb');
  });

  it('drops attachments and images, which are not text', () => {
    const content = '<p>see card</p><attachment id="abc"></attachment><img src="https://graph.microsoft.com/v1.0/x/hostedContents/1/$value" alt="pic">';
    assert.equal(messageText({ contentType: 'html', content }), 'see card');
  });

  it('takes a text body as it is, minus control characters, CRLF and runs of blank lines', () => {
    assert.equal(messageText({ contentType: 'text', content: '  a <b>\r\n\r\n\r\n\r\nb\u0007  \n' }), 'a <b>\n\nb');
    assert.equal(messageText({ content: 'no type means text: <i>kept</i>' }), 'no type means text: <i>kept</i>');
  });

  it('an absent or empty body is empty text', () => {
    assert.equal(messageText(undefined), '');
    assert.equal(messageText({ contentType: 'html', content: null }), '');
  });
});

describe('parseCommand', () => {
  it('finds the command at the start, in any case, with the rest as the trimmed argument', () => {
    assert.deepEqual(parseCommand('/Note  the printer is on fire \n more'), { name: 'note', argument: 'the printer is on fire \n more' });
    assert.deepEqual(parseCommand('  /PRIORITY High'), { name: 'priority', argument: 'High' });
    assert.deepEqual(parseCommand('/status'), { name: 'status', argument: '' });
    for (const name of ['reply', 'assign']) assert.equal(parseCommand(`/${name} x`)?.name, name);
  });

  it('is not fooled by a longer word, an unknown command or a command later in the text', () => {
    assert.equal(parseCommand('/notes are here'), undefined);
    assert.equal(parseCommand('/delete everything'), undefined);
    assert.equal(parseCommand('please /note this'), undefined);
    assert.equal(parseCommand('note without slash'), undefined);
  });
});

describe('comment text', () => {
  it('cuts text to fit a Jira comment with a mark pointing to the chat, and leaves short text alone', () => {
    assert.equal(truncate('short'), 'short');
    const cut = truncate('x'.repeat(maxCommentChars + 1));
    assert.ok(cut.length <= maxCommentChars);
    assert.match(cut, /… \(cut: the full message is in the Teams chat\)$/);
  });

  it('recognises its own attribution line, so a comment from Teams is not mirrored back', () => {
    const body = `the printer is fine\n\n${attribution('Ada Lovelace', '1733300000000')}`;
    assert.equal(isFromTeams(body), true);
    assert.ok(body.includes(teamsMarker('1733300000000')));
    assert.equal(isFromTeams('a comment written in Jira'), false);
    assert.equal(isFromTeams(`${attribution('Ada', '1733300000000')}\nand then someone typed more`), false, 'only as the last line');
  });
});
