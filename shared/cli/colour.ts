const codes = {
  red: [31, 39],
  green: [32, 39],
  cyan: [36, 39],
  yellow: [33, 39],
  dim: [2, 22],
} as const;

export type Colour = keyof typeof codes;

/** ANSI colour only for a terminal that wants it (NO_COLOR, FORCE_COLOR respected); plain text otherwise. */
export function colour(
  name: Colour,
  text: string,
  stream: { isTTY?: boolean } = process.stderr,
): string {
  const wanted = process.env.FORCE_COLOR
    ? process.env.FORCE_COLOR !== '0'
    : Boolean(stream.isTTY) && !process.env.NO_COLOR;
  if (!wanted) return text;
  const [open, close] = codes[name];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}
