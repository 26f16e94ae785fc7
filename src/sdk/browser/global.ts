/** Entry of the single-script build: `<script src=".../pushgate-client.global.js">` defines `PushgateClient`. */
import { PushgateClient } from './pushgate-client.js';

(globalThis as { PushgateClient?: typeof PushgateClient }).PushgateClient =
  PushgateClient;
