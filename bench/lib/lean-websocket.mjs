import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';

/**
 * A minimal WebSocket client (RFC 6455), only as much as the receivers need: the opening
 * handshake, unfragmented text frames both ways, ping/pong and close frames.
 *
 * It exists because the load generator shares one core and must spend less per message than the
 * fastest server it measures, or it would measure itself. `ws`'s client pushes every chunk
 * through a Readable and a Writable stream; here each socket reads through `onread` straight
 * into one buffer shared by all sockets (Node calls the callback synchronously, one read at a
 * time), and a frame is decoded in place.
 */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'; // RFC 6455, section 1.3
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

const OPCODE = { text: 0x1, close: 0x8, ping: 0x9, pong: 0xa };

export class LeanWebSocket {
  #socket;
  #key = randomBytes(16).toString('base64');
  #open = false;
  /** Bytes of an incomplete frame (or handshake response), copied out of the shared buffer. */
  #pending = null;
  #closeCode = 1006; // "closed abnormally", unless a close frame says otherwise

  /**
   * Connects to `url` (ws://host:port/path) from `localAddress`. `handlers`: `open()`,
   * `message(text)`, `close(code)` (always called once, last) and `error(error)`.
   */
  constructor(url, localAddress, handlers) {
    const { hostname, port, pathname } = new URL(url);
    this.handlers = handlers;
    this.#socket = connect({
      host: hostname,
      port: Number(port),
      localAddress,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (length, buffer) => this.#onRead(buffer.subarray(0, length)),
      },
    });
    this.#socket.once('connect', () =>
      this.#socket.write(
        `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${this.#key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    this.#socket.on('error', (error) => handlers.error(error));
    this.#socket.once('close', () => handlers.close(this.#closeCode));
  }

  /** Sends a text frame, masked as a client must. */
  send(text) {
    this.#write(OPCODE.text, Buffer.from(text));
  }

  /**
   * Drops the connection with a TCP reset, without a closing handshake. A reset leaves no socket
   * in TIME_WAIT: 5,000 of those on one local address would make every later bind() to it
   * search past them for a free port, which took seconds of system time per measurement.
   */
  terminate() {
    this.#socket.resetAndDestroy();
  }

  #onRead(chunk) {
    let data = chunk;
    if (this.#pending !== null) {
      data = Buffer.concat([this.#pending, chunk]);
      this.#pending = null;
    }
    let offset = this.#open ? 0 : this.#handshake(data);
    while (this.#open && offset < data.length) {
      const frameEnd = this.#frame(data, offset);
      if (frameEnd === -1) {
        break;
      }
      offset = frameEnd;
    }
    if (offset < data.length) {
      // A copy: the shared buffer is overwritten by the next read of any socket.
      this.#pending = Buffer.from(data.subarray(offset));
    }
  }

  /** Checks the server's handshake response; returns where the frames start. */
  #handshake(data) {
    const end = data.indexOf('\r\n\r\n');
    if (end === -1) {
      return 0;
    }
    const response = data.toString('latin1', 0, end);
    const accept = createHash('sha1')
      .update(this.#key + GUID)
      .digest('base64');
    if (
      !response.startsWith('HTTP/1.1 101') ||
      !response.includes(`\r\nSec-WebSocket-Accept: ${accept}`)
    ) {
      this.#fail(new Error(`handshake refused: ${response.split('\r\n')[0]}`));
      return data.length;
    }
    this.#open = true;
    this.handlers.open();
    return end + 4;
  }

  /** Handles the frame at `offset`; returns where the next one starts, or -1 if it is incomplete. */
  #frame(data, offset) {
    if (data.length - offset < 2) {
      return -1;
    }
    const finAndOpcode = data[offset];
    let length = data[offset + 1] & 0x7f; // servers never mask
    let start = offset + 2;
    if (length === 126) {
      if (data.length - offset < 4) {
        return -1;
      }
      length = data.readUInt16BE(offset + 2);
      start += 2;
    } else if (length === 127) {
      if (data.length - offset < 10) {
        return -1;
      }
      length = Number(data.readBigUInt64BE(offset + 2));
      start += 8;
    }
    const end = start + length;
    if (end > data.length) {
      return -1;
    }
    const payload = data.subarray(start, end);
    switch (finAndOpcode) {
      case 0x80 | OPCODE.text:
        this.handlers.message(payload.toString());
        break;
      case 0x80 | OPCODE.ping:
        this.#write(OPCODE.pong, payload);
        break;
      case 0x80 | OPCODE.close:
        this.#closeCode = length >= 2 ? payload.readUInt16BE(0) : 1005;
        // The server closes the TCP connection first (RFC 6455, 7.1.1), so the TIME_WAIT is its.
        this.#write(OPCODE.close, payload.subarray(0, 2));
        break;
      default:
        // Binary and fragmented frames: neither server sends them for this protocol.
        this.#fail(
          new Error(
            `unexpected frame, first byte 0x${finAndOpcode.toString(16)}`,
          ),
        );
        return data.length;
    }
    return end;
  }

  #write(opcode, payload) {
    if (payload.length > 0xffff) {
      throw new Error('frames over 64 KiB are not needed by the bench');
    }
    const header = payload.length < 126 ? 2 : 4;
    const frame = Buffer.allocUnsafe(header + 4 + payload.length);
    frame[0] = 0x80 | opcode;
    if (header === 2) {
      frame[1] = 0x80 | payload.length;
    } else {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(payload.length, 2);
    }
    const mask = randomBytes(4);
    mask.copy(frame, header);
    for (let i = 0; i < payload.length; i++) {
      frame[header + 4 + i] = payload[i] ^ mask[i & 3];
    }
    this.#socket.write(frame);
  }

  #fail(error) {
    this.handlers.error(error);
    this.#socket.destroy();
  }
}
