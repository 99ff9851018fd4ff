/** "思明区分析员 (uuid)" — how the server labels an actor in histories — to the name alone; other text passes through. */
export function actorName(label: string | null | undefined): string {
  if (!label) return '';
  const m = /^(.*) \(([^()]*)\)$/.exec(label);
  return m ? m[1] : label;
}
