/**
 * Runs s3rver on 127.0.0.1, port 0, in its own process (started by `s3-server.ts`). It must run with
 * `--openssl-legacy-provider`: s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3
 * only offers through the legacy provider. Prints `{"port": N}` once listening; stops on SIGTERM.
 */
import S3rver from 's3rver';

const directory = process.argv[2];
if (!directory) throw new Error('usage: s3rver-child.ts DIRECTORY');
const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory });
const { port } = (await server.run()) as { port: number };
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.on('SIGTERM', () => {
  void server.close().finally(() => process.exit(0));
});
