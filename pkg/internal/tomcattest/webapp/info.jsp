<%@ page session="false" contentType="text/plain; charset=UTF-8" trimDirectiveWhitespaces="true"
         import="java.util.*,java.nio.charset.StandardCharsets" %>
<%-- Everything Tomcat derived from the request, one "key=value" per line, for conformance tests.
     Also mapped at /info/* (web.xml) so that decoded non-ASCII paths show up in path_info.
     Tomcat reads header values and the raw query as ISO-8859-1, one char per byte; the lines marked
     "utf8" turn those chars back into bytes and decode them as UTF-8, which shows what a client sent. --%>
<%!
  static String utf8(String latin1) {
    if (latin1 == null) {
      return null;
    }
    return new String(latin1.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
  }
%>route=<%= System.getProperty("tomcattest.route") %>
method=<%= request.getMethod() %>
protocol=<%= request.getProtocol() %>
request_uri=<%= request.getRequestURI() %>
servlet_path=<%= request.getServletPath() %>
path_info=<%= request.getPathInfo() %>
query_string=<%= request.getQueryString() %>
query_string_utf8=<%= utf8(request.getQueryString()) %>
scheme=<%= request.getScheme() %>
secure=<%= request.isSecure() %>
server_name=<%= request.getServerName() %>
server_port=<%= request.getServerPort() %>
remote_addr=<%= request.getRemoteAddr() %>
remote_host=<%= request.getRemoteHost() %>
remote_port=<%= request.getRemotePort() %>
local_addr=<%= request.getLocalAddr() %>
local_port=<%= request.getLocalPort() %>
remote_user=<%= request.getRemoteUser() %>
auth_type=<%= request.getAuthType() %>
requested_session_id=<%= request.getRequestedSessionId() %>
session_id_from_url=<%= request.isRequestedSessionIdFromURL() %><%
  // From here on every line is printed by code: template text made of a newline alone is trimmed.
  out.println();
  out.println("content_length=" + request.getContentLengthLong());
  out.println("content_type=" + request.getContentType());
  for (Enumeration<String> names = request.getHeaderNames(); names.hasMoreElements();) {
    String name = names.nextElement();
    for (Enumeration<String> values = request.getHeaders(name); values.hasMoreElements();) {
      String value = values.nextElement();
      out.println("header." + name + "=" + value);
      out.println("header_utf8." + name + "=" + utf8(value));
    }
  }
  request.setCharacterEncoding("UTF-8");
  for (Map.Entry<String, String[]> param : request.getParameterMap().entrySet()) {
    for (String value : param.getValue()) {
      out.println("param." + param.getKey() + "=" + value);
    }
  }
  for (Enumeration<String> names = request.getAttributeNames(); names.hasMoreElements();) {
    String name = names.nextElement();
    out.println("attr." + name + "=" + request.getAttribute(name));
  }
  // Attributes set from AJP req_attribute packets are not always listed by getAttributeNames: ask by name.
  String[] known = {"JK_LB_ACTIVATION", "jakarta.servlet.request.secure_protocol",
      "jakarta.servlet.request.cipher_suite", "jakarta.servlet.request.key_size",
      "jakarta.servlet.request.ssl_session_id"};
  for (String name : known) {
    out.println("attr?" + name + "=" + request.getAttribute(name));
  }
%>