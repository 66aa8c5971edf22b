import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Public } from '../auth/public.decorator';

/** The console's stylesheet and script: a fixed list, read once, served from the service (no CDN). */
const ASSETS: Record<string, string> = {
  'console.css': 'text/css; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
};

@ApiExcludeController()
@Public()
@Controller('admin/assets')
export class ConsoleAssetsController {
  private readonly files = new Map<string, Buffer>();

  @Get(':file')
  asset(@Param('file') file: string, @Res() reply: FastifyReply): void {
    if (!Object.hasOwn(ASSETS, file)) throw new NotFoundException();
    let content = this.files.get(file);
    if (!content) this.files.set(file, (content = readFileSync(path.join(__dirname, 'assets', file))));
    void reply.header('Cache-Control', 'public, max-age=300').type(ASSETS[file]).send(content);
  }
}
