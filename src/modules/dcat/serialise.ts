import { PREFIXES, type Graph, type Term, type Triple } from './graph.ts';

const RDF_TYPE = `${PREFIXES.rdf}type`;

function escapeString(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
}

/** A prefixed name for an IRI when its local part is a safe Turtle name, else <iri>. */
function compactIri(value: string): string {
  for (const [p, ns] of Object.entries(PREFIXES)) {
    if (value.startsWith(ns)) {
      const local = value.slice(ns.length);
      if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(local)) return `${p}:${local}`;
    }
  }
  return `<${value.replace(/[\x00-\x20<>"{}|^`\\]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}>`;
}

function turtleTerm(t: Term): string {
  if (t.kind === 'iri') return compactIri(t.value);
  if (t.kind === 'blank') return `_:${t.value}`;
  const body = `"${escapeString(t.value)}"`;
  if (t.lang) return `${body}@${t.lang}`;
  if (t.datatype) return `${body}^^${compactIri(t.datatype)}`;
  return body;
}

function bySubject(triples: Triple[]): Map<string, { s: Term; props: Map<string, Term[]> }> {
  const out = new Map<string, { s: Term; props: Map<string, Term[]> }>();
  for (const t of triples) {
    const key = `${t.s.kind}:${t.s.value}`;
    const e = out.get(key) ?? { s: t.s, props: new Map() };
    const list = e.props.get(t.p) ?? [];
    list.push(t.o);
    e.props.set(t.p, list);
    out.set(key, e);
  }
  return out;
}

/** Writes the graph as Turtle (RDF 1.1), grouped by subject. */
export function toTurtle(g: Graph): string {
  const lines = Object.entries(PREFIXES).map(([p, ns]) => `@prefix ${p}: <${ns}> .`);
  lines.push('');
  for (const { s, props } of bySubject(g.triples).values()) {
    const preds = [...props.entries()].sort(([a], [b]) => (a === RDF_TYPE ? -1 : b === RDF_TYPE ? 1 : 0));
    const body = preds.map(([p, os]) => `    ${p === RDF_TYPE ? 'a' : compactIri(p)} ${os.map(turtleTerm).join(', ')}`);
    lines.push(`${turtleTerm(s)}\n${body.join(' ;\n')} .`, '');
  }
  return lines.join('\n');
}

function jsonldTerm(t: Term): unknown {
  if (t.kind === 'iri') return { '@id': t.value };
  if (t.kind === 'blank') return { '@id': `_:${t.value}` };
  if (t.lang) return { '@value': t.value, '@language': t.lang };
  if (t.datatype) return { '@value': t.value, '@type': t.datatype };
  return { '@value': t.value };
}

/**
 * Writes the graph as JSON-LD 1.1: an inline @context of the prefixes (nothing fetched from the network) and a
 * flat @graph of node objects with full IRIs as keys, so any JSON-LD processor reads back the same triples.
 */
export function toJsonLd(g: Graph): unknown {
  const graph = [...bySubject(g.triples).values()].map(({ s, props }) => {
    const node: Record<string, unknown> = { '@id': s.kind === 'blank' ? `_:${s.value}` : s.value };
    for (const [p, os] of props) {
      if (p === RDF_TYPE) node['@type'] = os.map((o) => o.value);
      else node[p] = os.map(jsonldTerm);
    }
    return node;
  });
  return { '@context': { ...PREFIXES }, '@graph': graph };
}
