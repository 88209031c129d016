// Preloaded (node --require) into the win-x64 Node that the smoke test runs under wine. Wine 8
// cannot set TCP keep-alive on a socket that is still connecting (Windows can; libuv sets the
// keep-alive interval and count options that wine lacks), so undici's connect fails there with
// "connect UNKNOWN". The setting is kept and applied once the socket is connected, which is
// what the operating system would have done with it: only the moment of the call moves.
const net = require("node:net");
const setKeepAlive = net.Socket.prototype.setKeepAlive;
net.Socket.prototype.setKeepAlive = function (...args) {
  if (this.connecting) {
    this.once("connect", () => setKeepAlive.apply(this, args));
    return this;
  }
  return setKeepAlive.apply(this, args);
};
