import { ConfigurableModuleBuilder, type Type } from '@nestjs/common';
import type { PushgateOptions } from './config/push-config.js';
import { BIND_GUARD, type BindGuard } from './gateway/bind-guard.js';

/** What `forRoot`/`forRootAsync` take besides the settings. */
export interface PushgateExtras {
  /**
   * A provider class deciding which uid a browser may bind. It is created inside Pushgate's module:
   * give `imports` (with `forRootAsync`) for the modules its dependencies come from.
   */
  bindGuard?: Type<BindGuard>;
}

export const {
  ConfigurableModuleClass: PushgateConfigurableModule,
  MODULE_OPTIONS_TOKEN: PUSHGATE_OPTIONS,
  OPTIONS_TYPE: PUSHGATE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: PUSHGATE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<PushgateOptions>({ moduleName: 'Pushgate' })
  .setClassMethodName('forRoot')
  .setExtras<PushgateExtras>({}, (definition, { bindGuard }) => ({
    ...definition,
    // One Pushgate per application, whose settings and services every module may use.
    global: true,
    providers: [
      ...(definition.providers ?? []),
      bindGuard
        ? { provide: BIND_GUARD, useClass: bindGuard }
        : { provide: BIND_GUARD, useValue: null },
    ],
  }))
  .build();
