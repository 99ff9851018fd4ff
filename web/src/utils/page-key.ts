/** One component instance per page and per record shown (a dataset, a request, a grant). */
export function pageKey(name: unknown, params: Record<string, unknown>): string {
  const id = params.code ?? params.id;
  return id ? `${String(name)}:${String(id)}` : String(name);
}
