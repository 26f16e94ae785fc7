/** Adds the counts of `from` (description → count) to `into`; returns `into`. */
export function addProblems(into, from) {
  for (const [description, count] of Object.entries(from)) {
    into[description] = (into[description] ?? 0) + count;
  }
  return into;
}
