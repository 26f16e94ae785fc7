/**
 * The `pushgate` package: what an application imports, to embed Pushgate in its own Nest app or
 * to talk to a Pushgate server. The standalone server starts from `main.ts`.
 */

// Embedding Pushgate in a Nest application
export { PushgateModule } from './pushgate.module.js';
export type { PushgateExtras } from './pushgate.module-definition.js';
export { startPushgate, type PushgateAddresses } from './start-pushgate.js';
export { PushConfig, type PushgateOptions } from './config/push-config.js';
export { PushService } from './push/push.service.js';
export { batched, type BatchedExtras } from './push/transport/batched.js';
export { TEXT_TRANSPORT } from './push/transport/text-transport-id.js';
export type { GatewayApi, SendToAllOptions } from './push/gateway-api.js';
export type { ClientInfo, Session } from './registry/client.js';
export {
  BIND_GUARD,
  type BindGuard,
  type BindRequest,
} from './gateway/bind-guard.js';
export { ConnectedClient } from './gateway/connected-client.decorator.js';
export type { Handshake } from './gateway/push-socket.js';
export { WsErrorFilter } from './gateway/ws-error.filter.js';
export { PushValidationPipe } from './common/validation/push-validation.pipe.js';
export { IsName } from './common/validation/is-name.decorator.js';
export { IsClientId } from './common/validation/is-client-id.decorator.js';
export {
  PushgateEvent,
  type PushgateEventName,
  type PushgateEvents,
} from './events/pushgate-events.js';
export { PushError, type ErrorBody } from './common/errors/push.error.js';
export { UnauthorizedError } from './common/errors/unauthorized.error.js';
export { ErrorCode } from './common/errors/error-code.js';

// Talking to a Pushgate server from a Node backend
export { PushClient, type PushClientOptions } from './sdk/node/push-client.js';
export {
  ClientErrorCode,
  PushClientError,
} from './sdk/node/push-client-error.js';
export type { ConnectionState } from './sdk/node/text-connection.js';
export { mintToken } from './auth/mint-token.js';
