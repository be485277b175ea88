// Package ajp speaks AJP13 (Apache JServ Protocol 1.3) the way Tomcat 10.1 and mod_jk 1.2 speak it.
//
// It has three layers:
//
//   - a codec: packet framing ([PacketReader], [AppendPacket]) and every message of the protocol
//     ([ForwardRequest], [SendHeaders], body chunks, END_RESPONSE, GET_BODY_CHUNK, CPING/CPONG),
//     each with an encoder and a decoder;
//   - [Transport], an [net/http.RoundTripper] for "ajp://host:port/path?query" URLs that pools
//     keep-alive connections per backend, CPings new and idle connections, streams request and
//     response bodies, and reports which failures are safe to retry ([IsRetryable]), which prove
//     the request never left ([IsUnsent]), and which are the client's own fault ([IsClientError]);
//     for a gateway, [Transport.Forward] relays a reply straight to a [ReplyWriter] instead,
//     without an http.Response;
//   - [Server], the backend side, so that Go programs and tests can answer AJP like Tomcat does.
//
// What a gateway knows about the client (address, port, TLS, the chosen route, the backend's
// activation) travels to the Transport in the request context (see [WithRequestInfo]), or as an
// argument of Forward.
//
// The package imports only the standard library.
package ajp
