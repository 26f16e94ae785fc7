import { Module } from '@nestjs/common';
import { UidRegistry } from './uid-registry.service.js';

@Module({
  providers: [UidRegistry],
  exports: [UidRegistry],
})
export class RegistryModule {}
