<%@ page session="false" contentType="text/plain; charset=UTF-8" trimDirectiveWhitespaces="true"
         import="java.io.InputStream,java.security.MessageDigest" %>
<%-- Reads the whole request body as bytes and reports how much arrived and its SHA-256, so a client can
     prove that every byte crossed the connector unchanged without the page echoing megabytes back. --%>
<%
  InputStream body = request.getInputStream();
  MessageDigest sha = MessageDigest.getInstance("SHA-256");
  byte[] chunk = new byte[32768];
  long total = 0;
  for (int n = body.read(chunk); n != -1; n = body.read(chunk)) {
    sha.update(chunk, 0, n);
    total += n;
  }
  StringBuilder digest = new StringBuilder(64);
  for (byte b : sha.digest()) {
    digest.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
  }
%>route=<%= System.getProperty("tomcattest.route") %>
method=<%= request.getMethod() %>
content_length_header=<%= request.getHeader("Content-Length") %>
transfer_encoding=<%= request.getHeader("Transfer-Encoding") %>
body_bytes=<%= total %>
body_sha256=<%= digest %>