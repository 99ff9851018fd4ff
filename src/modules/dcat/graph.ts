/** An RDF term: an IRI, a blank node, or a literal with an optional language or datatype. */
export type Term =
  | { kind: 'iri'; value: string }
  | { kind: 'blank'; value: string }
  | { kind: 'literal'; value: string; lang?: string; datatype?: string };

/** One statement. */
export interface Triple {
  s: Term;
  p: string;
  o: Term;
}

/** The vocabularies DCAT-AP uses, with the prefixes both serialisations print. */
export const PREFIXES: Record<string, string> = {
  dcat: 'http://www.w3.org/ns/dcat#',
  dct: 'http://purl.org/dc/terms/',
  foaf: 'http://xmlns.com/foaf/0.1/',
  vcard: 'http://www.w3.org/2006/vcard/ns#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  skos: 'http://www.w3.org/2004/02/skos/core#',
  adms: 'http://www.w3.org/ns/adms#',
  hydra: 'http://www.w3.org/ns/hydra/core#',
  locn: 'http://www.w3.org/ns/locn#',
};

/** Expands a prefixed name (dct:title) to an IRI. */
export function iri(name: string): string {
  const i = name.indexOf(':');
  const p = PREFIXES[name.slice(0, i)];
  return p && !name.startsWith('http') ? p + name.slice(i + 1) : name;
}

/** A small graph builder: add statements about subjects, then serialise. An RDF graph is a set: a statement made twice (a publisher shared by several datasets) is kept once. */
export class Graph {
  readonly triples: Triple[] = [];
  private readonly seen = new Set<string>();
  private blanks = 0;

  node(value: string): Term {
    return { kind: 'iri', value };
  }

  blank(): Term {
    return { kind: 'blank', value: `b${++this.blanks}` };
  }

  /** Adds s p o; a string object is a plain literal, undefined/null/'' adds nothing. */
  add(s: Term, p: string, o: Term | string | null | undefined): void {
    if (o === null || o === undefined || o === '') return;
    const t: Triple = { s, p: iri(p), o: typeof o === 'string' ? { kind: 'literal', value: o } : o };
    const key = JSON.stringify([t.s.kind, t.s.value, t.p, t.o]);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.triples.push(t);
  }

  /** Adds a literal with a language tag. */
  lang(s: Term, p: string, value: string | null | undefined, lang: string): void {
    if (value) this.add(s, p, { kind: 'literal', value, lang });
  }

  /** Adds a typed literal (xsd:dateTime, xsd:date, xsd:integer …). */
  typed(s: Term, p: string, value: string | number | null | undefined, datatype: string): void {
    if (value === null || value === undefined || value === '') return;
    this.add(s, p, { kind: 'literal', value: String(value), datatype: iri(datatype) });
  }

  /** States the type of a subject. */
  type(s: Term, cls: string): void {
    this.add(s, 'rdf:type', { kind: 'iri', value: iri(cls) });
  }
}
