// The one truncator. Limits are counted the way the receiving service counts a string's length: Graph (.NET) and
// Jira (Java) both count UTF-16 code units, which is JavaScript's `length`, so an emoji outside the Basic
// Multilingual Plane costs two. Counting code points instead lets a cut text be longer than the limit and be refused
// (graph-contract §1 for chat topics). The cut is made between grapheme clusters, so it never leaves half a surrogate
// pair (not valid UTF-16; it would not survive JSON encoding intact) or a base character without its combining marks.

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * `text` unchanged if it fits in `max` UTF-16 code units; otherwise the longest prefix of whole grapheme clusters
 * that fits together with `mark`, trailing white space dropped, followed by `mark`. The result never exceeds `max`.
 */
export function truncate(text: string, max: number, mark = '…'): string {
  if (text.length <= max) return text;
  // A mark that does not fit itself would break the limit: then the cut text alone.
  if (mark.length > max) return cutUtf16(text, max).trimEnd();
  return `${cutUtf16(text, max - mark.length).trimEnd()}${mark}`;
}

/** The longest prefix of whole grapheme clusters that fits in `max` UTF-16 code units. */
function cutUtf16(text: string, max: number): string {
  let out = '';
  for (const { segment } of graphemes.segment(text)) {
    if (out.length + segment.length > max) break;
    out += segment;
  }
  return out;
}
