/**
 * RisingWave's Kafka WITH options → a typed client configuration. `properties.*` are the
 * librdkafka property names RisingWave passes through; the ones kafkajs has an equivalent
 * for are mapped (bootstrap servers, client id, SASL, SSL, timeouts, fetch sizes), the others
 * are kept in `unmapped` so the caller can log them. Errors name the option (SqlError).
 */
import { readFileSync } from 'node:fs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { SqlError, SqlState } from '@freshet/common';
import { invalidOption, OptionReader } from '../options';

export type StartupMode = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'timestamp'; millis: number };

export interface KafkaClientConfig {
  readonly topic: string;
  readonly brokers: string[];
  readonly startup: StartupMode;
  /** kafkajs client settings (clientId, ssl, sasl, timeouts). */
  readonly client: Omit<KafkaConfig, 'brokers' | 'logLevel' | 'logCreator' | 'retry'>;
  /** Consumer group id prefix: kafkajs needs a group, Freshet uses a private one per reader. */
  readonly groupPrefix: string;
  readonly fetch: { maxWaitTimeInMs?: number; maxBytes?: number; maxBytesPerPartition?: number; readUncommitted?: boolean };
  /** `properties.*` keys with no kafkajs equivalent (accepted, reported, not applied). */
  readonly unmapped: string[];
}

const MAPPED = new Set([
  'properties.bootstrap.server',
  'properties.bootstrap.servers',
  'properties.client.id',
  'properties.group.id',
  'properties.security.protocol',
  'properties.sasl.mechanism',
  'properties.sasl.username',
  'properties.sasl.password',
  'properties.ssl.ca.location',
  'properties.ssl.ca.pem',
  'properties.ssl.certificate.location',
  'properties.ssl.certificate.pem',
  'properties.ssl.key.location',
  'properties.ssl.key.pem',
  'properties.ssl.key.password',
  'properties.ssl.endpoint.identification.algorithm',
  'properties.request.timeout.ms',
  'properties.socket.connection.setup.timeout.ms',
  'properties.fetch.wait.max.ms',
  'properties.fetch.max.bytes',
  'properties.max.partition.fetch.bytes',
  'properties.isolation.level',
]);

export function kafkaClientConfig(options: Readonly<Record<string, string>>): KafkaClientConfig {
  const r = new OptionReader(options, 'kafka');
  const topic = r.required('topic');
  const bootstrap = options['properties.bootstrap.server'] ?? options['properties.bootstrap.servers'] ?? r.required('properties.bootstrap.server');
  const brokers = bootstrap.split(',').map((s) => s.trim()).filter(Boolean);
  if (brokers.length === 0 || brokers.some((b) => !/^[^\s:]+:\d+$/.test(b))) throw invalidOption('properties.bootstrap.server', bootstrap, 'host:port[,host:port…]');

  const client: Record<string, unknown> = { clientId: options['properties.client.id'] ?? 'freshet' };
  const protocol = (options['properties.security.protocol'] ?? 'PLAINTEXT').toUpperCase();
  if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(protocol)) {
    throw invalidOption('properties.security.protocol', protocol, 'PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL');
  }
  if (protocol === 'SSL' || protocol === 'SASL_SSL') client.ssl = sslOptions(options);
  if (protocol.startsWith('SASL')) client.sasl = saslOptions(options, r);
  const requestTimeout = r.nonNegativeInt('properties.request.timeout.ms');
  if (requestTimeout !== undefined) client.requestTimeout = requestTimeout;
  const connectionTimeout = r.nonNegativeInt('properties.socket.connection.setup.timeout.ms');
  if (connectionTimeout !== undefined) client.connectionTimeout = connectionTimeout;

  const isolation = options['properties.isolation.level'];
  if (isolation !== undefined && !['read_committed', 'read_uncommitted'].includes(isolation)) {
    throw invalidOption('properties.isolation.level', isolation, 'read_committed or read_uncommitted');
  }
  return {
    topic,
    brokers,
    startup: startupMode(options, r),
    client: client as KafkaClientConfig['client'],
    groupPrefix: options['properties.group.id'] ?? 'freshet',
    fetch: {
      maxWaitTimeInMs: r.nonNegativeInt('properties.fetch.wait.max.ms'),
      maxBytes: r.nonNegativeInt('properties.fetch.max.bytes'),
      maxBytesPerPartition: r.nonNegativeInt('properties.max.partition.fetch.bytes'),
      readUncommitted: isolation === 'read_uncommitted' ? true : undefined,
    },
    unmapped: Object.keys(options).filter((k) => k.startsWith('properties.') && !MAPPED.has(k)),
  };
}

function startupMode(options: Readonly<Record<string, string>>, r: OptionReader): StartupMode {
  const millis = r.nonNegativeInt('scan.startup.timestamp.millis') ?? r.nonNegativeInt('scan.startup.timestamp_millis');
  const mode = (options['scan.startup.mode'] ?? (millis !== undefined ? 'timestamp' : 'earliest')).toLowerCase();
  if (millis !== undefined) {
    // RisingWave: the timestamp wins over the mode when both are given.
    return { kind: 'timestamp', millis };
  }
  if (mode === 'earliest' || mode === 'latest') return { kind: mode };
  if (mode === 'timestamp') throw new SqlError(SqlState.InvalidParameterValue, 'scan.startup.mode = timestamp needs scan.startup.timestamp.millis');
  throw invalidOption('scan.startup.mode', mode, 'earliest, latest or timestamp');
}

function saslOptions(options: Readonly<Record<string, string>>, r: OptionReader): SASLOptions {
  const mechanism = (options['properties.sasl.mechanism'] ?? 'PLAIN').toUpperCase();
  const username = r.required('properties.sasl.username');
  const password = r.required('properties.sasl.password');
  switch (mechanism) {
    case 'PLAIN':
      return { mechanism: 'plain', username, password };
    case 'SCRAM-SHA-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'SCRAM-SHA-512':
      return { mechanism: 'scram-sha-512', username, password };
    default:
      throw invalidOption('properties.sasl.mechanism', mechanism, 'PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512');
  }
}

function sslOptions(options: Readonly<Record<string, string>>): Record<string, unknown> | true {
  const file = (key: string): string | undefined => {
    const path = options[key];
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      throw invalidOption(key, path, `a readable file (${(e as Error).message})`);
    }
  };
  const tls: Record<string, unknown> = {};
  const ca = options['properties.ssl.ca.pem'] ?? file('properties.ssl.ca.location');
  const cert = options['properties.ssl.certificate.pem'] ?? file('properties.ssl.certificate.location');
  const key = options['properties.ssl.key.pem'] ?? file('properties.ssl.key.location');
  if (ca) tls.ca = [ca];
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  if (options['properties.ssl.key.password']) tls.passphrase = options['properties.ssl.key.password'];
  if ((options['properties.ssl.endpoint.identification.algorithm'] ?? '').toLowerCase() === 'none') tls.checkServerIdentity = () => undefined;
  return Object.keys(tls).length ? tls : true;
}
