<%@ page session="false" contentType="text/plain; charset=UTF-8" trimDirectiveWhitespaces="true"
         import="java.security.cert.X509Certificate" %>
<%-- What Tomcat makes of the TLS connection a front end reports over AJP (is_ssl and the SSL
     attributes), one "key=value" per line: the servlet API an app would ask. Tomcat 10.1 keeps the
     AJP_SSL_PROTOCOL attribute under its own name (Servlet 6.1's secure_protocol came with Tomcat 11). --%>
<%
  X509Certificate[] certs = (X509Certificate[]) request.getAttribute("jakarta.servlet.request.X509Certificate");
%>route=<%= System.getProperty("tomcattest.route") %>
protocol=<%= request.getProtocol() %>
scheme=<%= request.getScheme() %>
secure=<%= request.isSecure() %>
server_name=<%= request.getServerName() %>
server_port=<%= request.getServerPort() %>
request_url=<%= request.getRequestURL() %>
cipher_suite=<%= request.getAttribute("jakarta.servlet.request.cipher_suite") %>
key_size=<%= request.getAttribute("jakarta.servlet.request.key_size") %>
key_size_type=<%= request.getAttribute("jakarta.servlet.request.key_size") == null ? "null" : request.getAttribute("jakarta.servlet.request.key_size").getClass().getSimpleName() %>
ssl_session_id=<%= request.getAttribute("jakarta.servlet.request.ssl_session_id") %>
secure_protocol=<%= request.getAttribute("org.apache.tomcat.util.net.secure_protocol_version") %>
client_certs=<%= certs == null ? 0 : certs.length %>
client_subject=<%= certs == null ? "none" : certs[0].getSubjectX500Principal().getName() %>
client_issuer=<%= certs == null ? "none" : certs[0].getIssuerX500Principal().getName() %>
