/**
 * `pushgate/node`: the Node client of the text port alone, for backends that are not Nest
 * applications (it loads nothing of the server).
 */
export { PushClient, type PushClientOptions } from './push-client.js';
export { ClientErrorCode, PushClientError } from './push-client-error.js';
export type { ConnectionState } from './text-connection.js';
export type { GatewayApi, SendToAllOptions } from '../../push/gateway-api.js';
export type { Session } from '../../registry/client.js';
export { mintToken } from '../../auth/mint-token.js';
