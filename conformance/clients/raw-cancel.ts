/**
 * Sends a protocol CancelRequest on a new socket, as libpq does. Used for the `pg` client,
 * whose cancel helper is not part of its typed API.
 */
import { connect } from 'node:net';

const CANCEL_REQUEST_CODE = 80877102;

export function sendCancelRequest(host: string, port: number, processId: number, secretKey: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port }, () => {
      const buf = Buffer.alloc(16);
      buf.writeInt32BE(16, 0);
      buf.writeInt32BE(CANCEL_REQUEST_CODE, 4);
      buf.writeInt32BE(processId, 8);
      buf.writeInt32BE(secretKey, 12);
      sock.end(buf);
    });
    sock.on('error', reject);
    sock.on('close', () => resolve());
  });
}
