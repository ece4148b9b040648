// CSV through csv-parse / csv-stringify (RFC 4180: quoted cells may hold commas, quotes and line breaks), so that
// what the export writes the import reads back. The hand-made parser this replaces split the text into lines before
// looking at quotes, so a quoted line break cut a row in two. Spreadsheet programs save with a UTF-8 byte order mark
// and CRLF line ends; both are accepted. Errors name the line where the offending row starts (1-based, physical).
import { parse, type CsvError } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';

export interface CsvRow {
  /** The physical line the row starts on. */
  line: number;
  cells: string[];
}

export type CsvRead = { ok: true; rows: CsvRow[] } | { ok: false; line: number; message: string };

/** A header line and rows; cells with a comma, quote or line break are quoted, quotes doubled; LF line ends. */
export function writeCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return stringify([header, ...rows], { record_delimiter: 'unix' });
}

const reasons: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted cell is never closed',
  INVALID_OPENING_QUOTE: 'a quote inside an unquoted cell (quote the whole cell and double the quote)',
  CSV_INVALID_CLOSING_QUOTE: 'text after the closing quote of a cell',
};

export function readCsv(text: string): CsvRead {
  const bytes = Buffer.from(text.replace(/^\uFEFF/, ''), 'utf8');
  // csv-parse reports positions in bytes (its own line count double-counts a CRLF inside quotes), so lines are
  // counted here from the byte offset where each row ends.
  let line = 1;
  let pos = 0;
  const advanceTo = (to: number) => {
    line += bytes.subarray(pos, to).toString('utf8').match(/\r\n|\r|\n/g)?.length ?? 0;
    pos = to;
  };
  const startOfNext = () => {
    let start = pos;
    while (start < bytes.length && (bytes[start] === 0x0a || bytes[start] === 0x0d)) start++;
    advanceTo(start);
    return line;
  };
  const rows: CsvRow[] = [];
  try {
    parse(bytes, {
      relax_column_count: true,
      skip_empty_lines: true,
      record_delimiter: ['\r\n', '\n', '\r'],
      on_record: (record, context) => {
        const start = startOfNext();
        advanceTo(context.bytes);
        rows.push({ line: start, cells: record });
        return null;
      },
    });
  } catch (e) {
    const code = (e as CsvError).code;
    if (typeof code !== 'string') throw e;
    return { ok: false, line: startOfNext(), message: reasons[code] ?? `not valid CSV (${code})` };
  }
  return { ok: true, rows };
}
