/**
 * The text transport's id (`Server#transportId`). Pushgate's commands are declared for it, so
 * that a microservice of the application's own (TCP, Redis, ...) does not serve them as well:
 * there they would skip the text port's secret (`PUSH_TEXT_SECRET`). An application's command
 * meant for the text port only is declared with it too: `@MessagePattern('myCommand',
 * TEXT_TRANSPORT)`.
 */
export const TEXT_TRANSPORT = Symbol('pushgate.text');
