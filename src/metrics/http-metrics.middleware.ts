import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { MetricsService } from './metrics.service';

/** Times every request; labels by the matched route pattern (never the raw path: ids and queries stay out). */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: MetricsService) {}

  use(req: Request, res: Response, next: NextFunction): void {
    this.metrics.timeRequest(res, req.method, () => (req.route as { path?: string } | undefined)?.path ?? 'unmatched');
    next();
  }
}
