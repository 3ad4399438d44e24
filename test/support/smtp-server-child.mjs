// A real SMTP server process for tests (the `smtp-server` package). Every accepted message is
// written to <dir>/<time>-<n>.eml (temp file + fsync + rename) BEFORE the 250 reply, so
// "accepted" means "stored", like a real MTA's queue. Usage:
//   node smtp-server-child.mjs <dir> <port>      prints "listening <port>" on stdout when ready
import { SMTPServer } from "smtp-server";
import { mkdirSync, openSync, writeSync, fsyncSync, closeSync, renameSync } from "node:fs";
import path from "node:path";

const [dir, portArg] = process.argv.slice(2);
if (!dir) {
  process.stderr.write("usage: smtp-server-child.mjs <dir> [port]\n");
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
let n = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS", "AUTH"],
  logger: false,
  size: 60 * 1024 * 1024,
  onData(stream, session, callback) {
    const chunks = [];
    stream.on("data", (c) => chunks.push(c));
    stream.on("end", () => {
      try {
        const env = `X-Sink-Envelope-From: ${session.envelope.mailFrom ? session.envelope.mailFrom.address : ""}\r\nX-Sink-Envelope-To: ${session.envelope.rcptTo.map((r) => r.address).join(", ")}\r\n`;
        const name = `${Date.now()}-${process.pid}-${String(++n).padStart(6, "0")}.eml`;
        const tmp = path.join(dir, `.${name}.tmp`);
        const fd = openSync(tmp, "w");
        writeSync(fd, Buffer.concat([Buffer.from(env), ...chunks]));
        fsyncSync(fd);
        closeSync(fd);
        renameSync(tmp, path.join(dir, name));
        callback(null, "queued as " + name);
      } catch (err) {
        callback(err);
      }
    });
  },
});
server.on("error", (err) => process.stderr.write(`smtp sink error: ${err.message}\n`));
server.listen(Number(portArg ?? 0), "127.0.0.1", () => {
  process.stdout.write(`listening ${server.server.address().port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
