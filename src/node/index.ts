/** weft on Node: the server (`weft serve`), and a request handler to mount weft beside a site. */
export { type Handler, type HandlerOptions, weftHandler } from './handler.js';
export { type RunningServer, type ServeOptions, startServer } from './serve.js';
