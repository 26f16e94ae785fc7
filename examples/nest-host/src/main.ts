import { NestFactory } from '@nestjs/core';
import { startPushgate } from 'pushgate';
import { HostModule } from './host.module.js';

const app = await NestFactory.create(HostModule);
// Instead of app.listen(): starts the WebSocket (with this app's HTTP routes on the same port)
// and Pushgate's text port.
await startPushgate(app);
app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
