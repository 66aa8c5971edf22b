import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'auth:isPublic';

/** Marks a route as reachable without an API key (health probes, browser OAuth redirects). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
