/** The `pushgate` package: what a backend imports. The server itself starts from `main.ts`. */
export { PushClient, type PushClientOptions } from './sdk/node/push-client.js';
export {
  ClientErrorCode,
  PushClientError,
} from './sdk/node/push-client-error.js';
export type { ConnectionState } from './sdk/node/text-connection.js';
export type { GatewayApi, SendToAllOptions } from './push/gateway-api.js';
export type { Session } from './registry/client.js';
export { ErrorCode } from './common/errors/error-code.js';
