/** The TCP probe: success iff a connection can be opened within the timeout. */
import { connect } from 'node:net';
import type { Observation } from '../../core/types.js';
import { formatDuration } from '../../core/duration.js';
import { describeNetworkError } from './format.js';

/** Settings of one TCP probe (durations in ms). */
export interface TcpProbe {
  host: string;
  port: number;
  timeout: number;
}

/** Opens and immediately closes one connection to `host:port`. */
export function probeTcp(target: string, probe: TcpProbe): Promise<Observation> {
  return new Promise((resolve) => {
    const socket = connect({ host: probe.host, port: probe.port });
    const finish = (result: Observation['result'], detail: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ target, result, detail });
    };
    const timer = setTimeout(() => finish('fail', `timeout after ${formatDuration(probe.timeout)}`), probe.timeout);
    socket.once('connect', () => finish('ok', 'TCP connect ok'));
    socket.once('error', (err) => finish('fail', describeNetworkError(err, probe.timeout)));
  });
}
