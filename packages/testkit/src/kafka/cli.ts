/**
 * Starts the Kafka-protocol test broker from a shell, for manual runs and benchmarks:
 *   node --import tsx packages/testkit/src/kafka/cli.ts --port 9092 --partitions 3 [--sasl-user name:password …]
 * Prints `listening HOST:PORT` once it accepts connections; stops on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startKafkaBroker } from './broker';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9092' },
    host: { type: 'string', default: '127.0.0.1' },
    partitions: { type: 'string', default: '1' },
    'no-auto-create': { type: 'boolean', default: false },
    'sasl-user': { type: 'string', multiple: true },
  },
});
const users = values['sasl-user']?.map((u) => {
  const at = u.indexOf(':');
  if (at <= 0) throw new Error(`invalid --sasl-user ${u}: expected name:password`);
  return [u.slice(0, at), u.slice(at + 1)] as const;
});
const port = Number(values.port);
const partitions = Number(values.partitions);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port ${values.port}`);
if (!Number.isInteger(partitions) || partitions < 1) throw new Error(`invalid --partitions ${values.partitions}`);

const broker = await startKafkaBroker({
  port,
  host: values.host,
  defaultPartitions: partitions,
  autoCreateTopics: !values['no-auto-create'],
  saslUsers: users ? Object.fromEntries(users) : undefined,
  log: (line) => process.stderr.write(`kafka-test-broker: ${line}\n`),
});
process.stdout.write(`listening ${broker.bootstrap}\n`);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void broker.close().then(() => process.exit(0)));
