/** The messages a browser sends that Pushgate handles itself; no other gateway may take them. */
export const ClientMessage = {
  Init: 'init',
  Pong: 'pong',
  Ack: 'ack',
} as const;
