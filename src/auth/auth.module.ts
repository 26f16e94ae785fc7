import { Module } from '@nestjs/common';
import { JwtBindGuard } from './jwt-bind.guard.js';

@Module({
  providers: [JwtBindGuard],
  exports: [JwtBindGuard],
})
export class AuthModule {}
