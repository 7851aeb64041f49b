/** The WebSocket clients WsConnection can run on; the transport tests run over each of them. */
export const TRANSPORTS = ['ws', 'raw'] as const
