// Preload for third-party servers that listen on every interface (y-webrtc's bin/server.js):
// forces `server.listen(port)` onto 127.0.0.1, so benchmarks never open a port beyond loopback.
import http from 'node:http';

const listen = http.Server.prototype.listen;
http.Server.prototype.listen = function (port, ...rest) {
  if (typeof port === 'number' || typeof port === 'string') {
    const callback = rest.find((arg) => typeof arg === 'function');
    return listen.call(this, Number(port), '127.0.0.1', callback);
  }
  return listen.call(this, port, ...rest);
};
