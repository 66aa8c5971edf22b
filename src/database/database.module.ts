import { Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { databaseConfig } from '../config/database.config';
import { startEmbeddedPostgres } from './embedded-postgres';
import { runMigrations } from './migrate';
import { typeormOptions } from './typeorm-options';

export const DATABASE_SERVER = Symbol('DATABASE_SERVER');

export interface DatabaseServer {
  url: string;
  /** Set when this process started the server (embedded); stopped after the pool is closed. */
  stop?: () => Promise<void>;
}

@Injectable()
class DatabaseServerLifecycle implements OnApplicationShutdown {
  constructor(@Inject(DATABASE_SERVER) private readonly server: DatabaseServer) {}

  // Runs after TypeORM's own shutdown hook: this module is deeper in the graph, so it closes later.
  async onApplicationShutdown(): Promise<void> {
    await this.server.stop?.();
  }
}

@Module({
  providers: [
    {
      provide: DATABASE_SERVER,
      inject: [databaseConfig.KEY],
      useFactory: async (config: ConfigType<typeof databaseConfig>): Promise<DatabaseServer> => {
        if (config.url) return { url: config.url };
        const logger = new Logger('EmbeddedPostgres');
        const handle = await startEmbeddedPostgres({
          dataDir: config.embeddedDir,
          onLog: (line) => logger.debug(line),
        });
        logger.log(
          `DATABASE_URL is unset: started embedded Postgres on 127.0.0.1:${handle.port} with data in ${config.embeddedDir}`,
        );
        return handle;
      },
    },
    DatabaseServerLifecycle,
  ],
  exports: [DATABASE_SERVER],
})
class DatabaseServerModule {}

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      imports: [DatabaseServerModule],
      inject: [DATABASE_SERVER, databaseConfig.KEY],
      useFactory: (server: DatabaseServer, config: ConfigType<typeof databaseConfig>) => ({
        // Each module registers the entities of the tables it owns (TypeOrmModule.forFeature).
        ...typeormOptions(server.url, config.poolSize, []),
        autoLoadEntities: true,
        // Schema changes only through reviewed migrations, applied at start by dataSourceFactory below,
        // not by this pool: its statement_timeout would cancel a long migration mid-way.
        migrationsRun: false,
        retryAttempts: 3,
        retryDelay: 1000,
      }),
      // Inside TypeOrmModule's retries, like migrationsRun was: the migrations first, on a connection of
      // their own without the statement timeout (migrate.ts), then the pool.
      dataSourceFactory: async (options) => {
        const url = options?.type === 'postgres' ? options.url : undefined;
        if (!url) throw new Error('DatabaseModule: the data source options carry no Postgres URL');
        await runMigrations(url);
        return new DataSource(options!);
      },
    }),
  ],
})
export class DatabaseModule {}
