// CSV (shared/text/csv.ts) and the user-mapping import/export built on it (shared/people/mapping.ts): what the
// export writes, the import reads back, including from a spreadsheet that added a BOM and CRLF line ends.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readCsv, writeCsv } from '../../../shared/text/csv.js';
import { mappingsToCsv, parseMappingCsv, type MappedUser } from '../../../shared/people/mapping.js';

describe('CSV', () => {
  const awkward = [
    ['plain', 'with,comma', 'with "quotes"'],
    ['line\nbreak', 'crlf\r\nbreak', ''],
    ['"', ',', ' padded '],
  ];

  it('round-trips quotes, commas, line breaks and empty cells, also with a BOM and CRLF line ends', () => {
    const text = writeCsv(['a', 'b', 'c'], awkward);
    for (const variant of [text, `\uFEFF${text}`, `\uFEFF${text.replace(/\n(?=[^"]*("[^"]*"[^"]*)*$)/g, '\r\n')}`]) {
      const read = readCsv(variant);
      assert.equal(read.ok, true);
      assert.deepEqual(read.ok && read.rows.map((r) => r.cells), [['a', 'b', 'c'], ...awkward]);
    }
  });

  it('numbers rows by the physical line they start on, blank lines and quoted breaks included', () => {
    const read = readCsv('h\r\n\r\n"x\r\ny",z\n\nlast');
    assert.deepEqual(read.ok && read.rows.map((r) => [r.line, r.cells[0]]), [[1, 'h'], [3, 'x\r\ny'], [6, 'last']]);
  });

  it('names the line of a malformed row', () => {
    assert.deepEqual(readCsv('a,b\nc,d"x"\n'), { ok: false, line: 2, message: 'a quote inside an unquoted cell (quote the whole cell and double the quote)' });
    assert.deepEqual(readCsv('a,b\n\nc,"open\nmore\n'), { ok: false, line: 3, message: 'a quoted cell is never closed' });
  });
});

describe('user-mapping CSV', () => {
  const mappings: MappedUser[] = [
    { accountId: '557058:f58131cb-b67d-43c7-b30d-6b58d40bd077', entraObjectId: '0b9c1a5e-3f2d-4c1b-9a8e-7d6c5b4a3f21', isGuest: false, source: 'manual' },
    // A UPN may hold a quote or a comma in its local part; the export must quote it and the import unquote it.
    { accountId: '712020:2c3d4e5f', entraObjectId: '1c9c1a5e-3f2d-4c1b-9a8e-7d6c5b4a3f21', userPrincipalName: 'o"brien,pat@contoso.com', isGuest: true, source: 'manual' },
  ] as MappedUser[];

  it('export → import gives back the same mappings, also after a spreadsheet added a BOM and CRLF', () => {
    const csv = mappingsToCsv(mappings);
    assert.match(csv, /"o""brien,pat@contoso.com"/);
    const expected = [
      { accountId: mappings[0]!.accountId, user: mappings[0]!.entraObjectId, guest: false },
      { accountId: mappings[1]!.accountId, user: 'o"brien,pat@contoso.com', guest: true },
    ];
    assert.deepEqual(parseMappingCsv(csv), { rows: expected, errors: [] });
    assert.deepEqual(parseMappingCsv(`\uFEFF${csv.replace(/\n/g, '\r\n')}`), { rows: expected, errors: [] });
  });

  it('a quoted line break is one row (and refused as a user), not two half rows; errors name the line', () => {
    const { rows, errors } = parseMappingCsv('accountId,user,guest\n\n"abc","pat\n@contoso.com",false\nbad id!,x@contoso.com\n');
    assert.deepEqual(rows, []);
    assert.deepEqual(errors, ['line 3: user must be an Entra object id or a user principal name', 'line 5: "bad id!" is not an Atlassian accountId']);
    assert.deepEqual(parseMappingCsv('accountId,user\n"abc,x@contoso.com\n').errors, ['line 2: a quoted cell is never closed']);
  });
});
