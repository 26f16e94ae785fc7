import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { PushConfig } from '../config/push-config.js';
import { TextTransport } from '../push/transport/text.transport.js';
import { demoPage } from './demo-page.js';

/** The browser SDK's modules, as compiled beside this file, by the path the page imports them. */
const SDK_FILES: ReadonlyMap<string, URL> = new Map([
  [
    'browser/pushgate-client.js',
    new URL('../sdk/browser/pushgate-client.js', import.meta.url),
  ],
  ['backoff.js', new URL('../sdk/backoff.js', import.meta.url)],
  [
    'browser/pushgate-client.global.js',
    new URL('../sdk/browser/pushgate-client.global.js', import.meta.url),
  ],
]);

/**
 * The demo page at `/` (off with `PUSH_DEMO_PAGE=false`), and the browser SDK it loads under
 * `/pushgate/sdk/`: an ES module, and the single script for a plain `<script>` tag.
 */
@Controller()
export class DemoController {
  constructor(
    private readonly config: PushConfig,
    private readonly textPort: TextTransport,
  ) {}

  @Get()
  page(@Res({ passthrough: true }) response: Response): string {
    if (!this.config.demoPage) {
      throw new NotFoundException();
    }
    const textHost = ['0.0.0.0', '::'].includes(this.config.textHost)
      ? '127.0.0.1'
      : this.config.textHost;
    response.type('html');
    // The port really bound: the setting may be 0.
    return demoPage({ textHost, textPort: this.textPort.address().port });
  }

  @Get('pushgate/sdk/:dir/:file')
  sdkModule(
    @Param('dir') dir: string,
    @Param('file') file: string,
    @Res() response: Response,
  ) {
    return this.sendSdk(`${dir}/${file}`, response);
  }

  @Get('pushgate/sdk/:file')
  sdkShared(@Param('file') file: string, @Res() response: Response) {
    return this.sendSdk(file, response);
  }

  private sendSdk(path: string, response: Response): void {
    const file = SDK_FILES.get(path);
    if (file === undefined) {
      throw new NotFoundException();
    }
    response.type('text/javascript').sendFile(file.pathname, (error) => {
      if (error && !response.headersSent) {
        response.sendStatus(404);
      }
    });
  }
}
