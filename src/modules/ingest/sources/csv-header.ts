// Small RFC 4180 helpers shared by the spooler (header extraction) and the XLSX → CSV converter.

const CANDIDATE_DELIMITERS = [',', '\t', ';', '|'] as const;

/** Splits one CSV record (normally the header line) into cells using RFC 4180 quoting; a trailing line break is ignored and an unclosed quote runs to the end of the text. */
export function parseCsvHeader(firstLine: string, delimiter = ','): string[] {
  const line = firstLine.replace(/(?:\r\n|\n|\r)$/, '');
  const cells: string[] = [];
  const n = line.length;
  let i = 0;
  for (;;) {
    let cell = '';
    if (i < n && line[i] === '"') {
      // Quoted field: "" is an escaped quote; text after the closing quote up to the delimiter is kept verbatim.
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q === -1) {
          cell += line.slice(i);
          i = n;
          break;
        }
        cell += line.slice(i, q);
        if (line[q + 1] === '"') {
          cell += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      const d = line.indexOf(delimiter, i);
      const end = d === -1 ? n : d;
      cell += line.slice(i, end);
      i = end;
    } else {
      const d = line.indexOf(delimiter, i);
      const end = d === -1 ? n : d;
      cell = line.slice(i, end);
      i = end;
    }
    cells.push(cell);
    if (i >= n) break;
    i += delimiter.length; // skip the delimiter; a trailing delimiter yields a final empty cell
    if (i >= n) {
      cells.push('');
      break;
    }
  }
  return cells;
}

/** Quotes a value for a comma-separated RFC 4180 file when it contains a quote, comma, CR or LF, doubling embedded quotes. */
export function csvQuote(value: string): string {
  if (!/[",\r\n]/.test(value)) return value;
  return '"' + value.replaceAll('"', '""') + '"';
}

/** Guesses the delimiter of a CSV header line by counting ',', TAB, ';' and '|' outside quotes (defaults to ','). */
export function sniffDelimiter(headerLine: string): string {
  const counts = new Map<string, number>();
  let inQuotes = false;
  for (let i = 0; i < headerLine.length; i++) {
    const ch = headerLine[i];
    if (ch === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (CANDIDATE_DELIMITERS as readonly string[]).includes(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  let best = ',';
  let bestCount = 0;
  for (const d of CANDIDATE_DELIMITERS) {
    const c = counts.get(d) ?? 0;
    if (c > bestCount) {
      best = d;
      bestCount = c;
    }
  }
  return best;
}
