import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** Who holds a lease: this host and process, plus a random part so two apps in one process differ. */
export const newLeaseOwner = (): string => `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
