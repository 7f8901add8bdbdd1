/**
 * A small line logger: ISO timestamp, level, component, message. Logs go to stderr so
 * stdout stays free for command output (e.g. `freshet --version`).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  child(component: string): Logger;
}

export function createLogger(level: LogLevel = 'info', component = 'freshet', out: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const min = ORDER[level];
  const emit = (lv: LogLevel, msg: string) => {
    if (ORDER[lv] >= min) out(`${new Date().toISOString()} ${lv.toUpperCase().padEnd(5)} ${component}: ${msg}`);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    child: (c) => createLogger(level, `${component}.${c}`, out),
  };
}
