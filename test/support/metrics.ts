/** The series of a Pushgate's `/metrics` on `port`, by name with labels: `{'x_total{code="a"}': 3}`. */
export async function scrape(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => {
        const at = line.lastIndexOf(' ');
        return [line.slice(0, at), Number(line.slice(at + 1))];
      }),
  );
}

/** One series of a Pushgate's `/metrics`; 0 when it has none yet. */
export async function metric(port: number, series: string): Promise<number> {
  return (await scrape(port))[series] ?? 0;
}
