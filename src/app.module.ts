import { Module } from '@nestjs/common';
import { PushgateModule } from './pushgate.module.js';

/** The standalone server of `npm start`: Pushgate with every setting from the environment. */
@Module({
  imports: [PushgateModule.forRoot({})],
})
export class AppModule {}
