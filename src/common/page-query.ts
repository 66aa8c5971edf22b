import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { CURSOR_MAX_LENGTH, PAGE_MAX_ITEMS } from './limits';

/** `limit` and the opaque keyset `cursor` of every list endpoint. */
export class PageQuery {
  @ApiPropertyOptional({ type: 'integer', format: 'int32', minimum: 1, maximum: PAGE_MAX_ITEMS, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(PAGE_MAX_ITEMS)
  limit: number = 20;

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: CURSOR_MAX_LENGTH,
    description: 'Opaque cursor from a previous page’s nextCursor',
  })
  @IsOptional()
  @IsString()
  @Length(1, CURSOR_MAX_LENGTH)
  cursor?: string;
}
