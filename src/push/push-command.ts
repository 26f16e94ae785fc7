/** The commands a backend sends on the text port, by `type`. */
export const PushCommand = {
  Send: 'send',
} as const;

const COMMANDS: ReadonlySet<string> = new Set(Object.values(PushCommand));

/** Whether `type` is a backend command, which browsers may never send. */
export function isPushCommand(type: string): boolean {
  return COMMANDS.has(type);
}
