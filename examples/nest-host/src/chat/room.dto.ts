import { IsName } from 'pushgate';

/** `{"type":"join","room":"..."}` */
export class RoomDto {
  @IsName()
  room!: string;
}
