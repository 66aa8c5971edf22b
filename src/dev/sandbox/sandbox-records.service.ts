import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { MoreThan, Repository } from 'typeorm';
import { SandboxRecordEntity } from './sandbox.entities';
import type { ProviderSimulator, SandboxRecords, StoredRecord } from './simulators/simulator';

/** The objects the simulators' API calls create (sandbox.records), one store view per simulator. */
@Injectable()
export class SandboxRecordsService {
  constructor(@InjectRepository(SandboxRecordEntity) private readonly records: Repository<SandboxRecordEntity>) {}

  for(provider: ProviderSimulator): SandboxRecords {
    return {
      create: async (kind, owner, data) => {
        const saved = await this.records.save(this.records.create({ provider: provider.name, kind, owner, data }));
        return stored(saved);
      },
      list: async (kind, owner, page) => {
        const where = { provider: provider.name, kind, owner };
        const [rows, total] = await Promise.all([
          this.records.find({
            where: page.afterId === undefined ? where : { ...where, id: MoreThan(String(page.afterId)) },
            order: { id: 'ASC' },
            skip: page.offset,
            take: page.limit,
          }),
          this.records.countBy(where),
        ]);
        return { items: rows.map(stored), total };
      },
    };
  }
}

const stored = (row: SandboxRecordEntity): StoredRecord => ({
  id: Number(row.id),
  data: row.data,
  createdAt: row.createdAt,
});
