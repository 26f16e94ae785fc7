import { IsString, MaxLength } from 'class-validator';
import { IsName } from 'pushgate';

/** `{"type":"chat","room":"...","text":"..."}` */
export class ChatMessageDto {
  @IsName()
  room!: string;

  @IsString()
  @MaxLength(2000)
  text!: string;
}
