// Lab probe, run inside a namespace with plain node (no build step):
//   node udpProbe.mjs echo HOST PORT...          UDP servers that answer each datagram with the sender's "ip:port";
//                                                 prints "ready" once bound; runs until killed
//   node udpProbe.mjs probe HOST PORT... [--count N] [--local-port P]
//                                                 one UDP socket sends to each port (N times) and prints JSON
//                                                 {"seen":{"PORT":"ip:port"|null},"replies":K} after 0.8 s
import dgram from 'node:dgram';

const [mode, host, ...rest] = process.argv.slice(2);
const flag = (name, fallback) => { const i = rest.indexOf(name); return i < 0 ? fallback : Number(rest.splice(i, 2)[1]); };
const count = flag('--count', 1);
const localPort = flag('--local-port', 0);
const ports = rest.map(Number);

if (mode === 'echo') {
  let bound = 0;
  for (const port of ports) {
    const socket = dgram.createSocket('udp4');
    socket.on('message', (_msg, rinfo) => socket.send(`${rinfo.address}:${rinfo.port}`, rinfo.port, rinfo.address));
    socket.bind(port, host, () => { if (++bound === ports.length) console.log('ready'); });
  }
} else if (mode === 'probe') {
  const socket = dgram.createSocket('udp4');
  const seen = Object.fromEntries(ports.map((p) => [p, null]));
  let replies = 0;
  socket.on('message', (msg, rinfo) => { seen[rinfo.port] = msg.toString(); replies++; });
  socket.bind(localPort, () => {
    for (let i = 0; i < count; i++) for (const port of ports) socket.send(`probe ${i}`, port, host);
    setTimeout(() => { console.log(JSON.stringify({ seen, replies })); socket.close(); }, 800);
  });
} else {
  console.error('usage: udpProbe.mjs echo|probe HOST PORT...');
  process.exit(2);
}
